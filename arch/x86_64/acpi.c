/**
 * @file acpi.c
 * @brief Just enough ACPI to switch the machine off (sleep state S5), and
 *        to list its CPUs.
 *
 * The FADT ("FACP" table) says which I/O port is the PM1a control register;
 * the DSDT's \_S5 object says which SLP_TYP value means "soft off". Writing
 * SLP_TYP | SLP_EN there powers off QEMU and Bochs alike. Bochs' BIOS has
 * no \_S5 object; its PIIX4 model (like QEMU's) takes SLP_TYP 0 as S5, so
 * 0 is the value used when the DSDT does not say.
 *
 * The MADT ("APIC" table) lists each CPU's local APIC: cpus.c starts them.
 */
#include "io.h"
#include "kstring.h"
#include "x86.h"

#define SLP_EN (1 << 13)
#define AML_NAME_OP 0x08
#define AML_PACKAGE_OP 0x12
#define AML_BYTE_PREFIX 0x0a
#define MADT_LOCAL_APIC 0     /* entry type: a processor's local APIC */
#define MADT_ENABLED 1        /* its flags: present and usable */

struct sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision, creator_id, creator_revision;
} __attribute__((packed));

static uint16_t pm1a_control, pm1b_control;
static uint16_t slp_typ_a, slp_typ_b;

static uint32_t read32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t read64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* The table with @signature among the RSDT's (4-byte) or XSDT's (8-byte) entries. */
static const struct sdt_header *find_table(const struct sdt_header *root, unsigned entry_size,
					   const char *signature)
{
	const uint8_t *p = (const uint8_t *)(root + 1);
	const uint8_t *end = (const uint8_t *)root + root->length;
	for (; p + entry_size <= end; p += entry_size) {
		uintptr_t addr = entry_size == 8 ? read64(p) : read32(p);
		const struct sdt_header *t = (const struct sdt_header *)addr;
		if (addr && memcmp(t->signature, signature, 4) == 0)
			return t;
	}
	return NULL;
}

/* Parse the integer AML encodes at @p (ZeroOp, OneOp, BytePrefix n). */
static int aml_small_integer(const uint8_t *p, uint16_t *value)
{
	if (p[0] == 0x00 || p[0] == 0x01) {
		*value = p[0];
		return 1;
	}
	if (p[0] == AML_BYTE_PREFIX) {
		*value = p[1];
		return 2;
	}
	return 0;
}

/* Find Name(_S5, Package() { SLP_TYPa, SLP_TYPb, ... }) in the DSDT. */
static int find_s5(const struct sdt_header *dsdt)
{
	const uint8_t *aml = (const uint8_t *)(dsdt + 1);
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;
	for (const uint8_t *p = aml + 1; p + 12 < end; p++) {
		if (memcmp(p, "_S5_", 4) != 0)
			continue;
		if (p[-1] != AML_NAME_OP && !(p[-1] == '\\' && p[-2] == AML_NAME_OP))
			continue;
		const uint8_t *q = p + 4;
		if (*q++ != AML_PACKAGE_OP)
			continue;
		q += (*q >> 6) + 1; /* PkgLength: 1 to 4 bytes */
		q++;                /* NumElements */
		int used = aml_small_integer(q, &slp_typ_a);
		if (used == 0)
			continue;
		q += used;
		if (aml_small_integer(q, &slp_typ_b) == 0)
			slp_typ_b = slp_typ_a;
		return 1;
	}
	return 0;
}

/* Every enabled processor the MADT lists, to cpu_found(). Entries follow
 * the header, the local APIC's address and flags: type, length, then the
 * type's fields (a local APIC: processor id, APIC id, flags). A processor
 * that is only "online capable" is not there yet (a hot-plug slot). */
static void find_cpus(const struct sdt_header *madt)
{
	if (madt->length < sizeof(*madt) + 8)
		return;
	const uint8_t *p = (const uint8_t *)(madt + 1) + 8;
	const uint8_t *end = (const uint8_t *)madt + madt->length;
	for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1])
		if (p[0] == MADT_LOCAL_APIC && p[1] >= 8 && (read32(p + 4) & MADT_ENABLED))
			cpu_found(p[3]);
}

int acpi_init(const void *rsdp, unsigned *port, int *from_dsdt)
{
	const uint8_t *r = rsdp;
	if (r == NULL || memcmp(r, "RSD PTR ", 8) != 0)
		return 0;
	const struct sdt_header *root;
	unsigned entry_size;
	if (r[15] >= 2 && read64(r + 24) != 0) {
		root = (const struct sdt_header *)(uintptr_t)read64(r + 24);
		entry_size = 8;
	} else {
		root = (const struct sdt_header *)(uintptr_t)read32(r + 16);
		entry_size = 4;
	}
	const struct sdt_header *madt = find_table(root, entry_size, "APIC");
	if (madt != NULL)
		find_cpus(madt);
	const struct sdt_header *fadt = find_table(root, entry_size, "FACP");
	if (fadt == NULL)
		return 0;
	const uint8_t *f = (const uint8_t *)fadt;
	const struct sdt_header *dsdt = (const struct sdt_header *)(uintptr_t)read32(f + 40);
	pm1a_control = (uint16_t)read32(f + 64);
	pm1b_control = (uint16_t)read32(f + 68);
	*port = pm1a_control;
	*from_dsdt = dsdt != NULL && memcmp(dsdt->signature, "DSDT", 4) == 0 && find_s5(dsdt);
	return pm1a_control != 0;
}

void acpi_poweroff(void)
{
	if (pm1a_control == 0)
		return;
	outw(pm1a_control, (uint16_t)(slp_typ_a << 10 | SLP_EN));
	if (pm1b_control)
		outw(pm1b_control, (uint16_t)(slp_typ_b << 10 | SLP_EN));
}
