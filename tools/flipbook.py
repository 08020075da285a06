#!/usr/bin/env python3
"""Boot Pagoda, run shell commands, and make one HTML page that steps through
the allocators' state after each of them.

    make flipbook CMDS='alloc 3; alloc 5 scattered; free #1; kmalloc 100'
    tools/flipbook.py [--arch riscv64] [--mem 128M] [--out FILE] [--timeout S] 'cmd; ...'

A still picture (make snapshot) shows one moment; a student learns more
from watching the buddy system split and merge one command at a time. So
after each command the tool types `dot buddy` and `dot alloc` itself (a
command that is itself `dot ...` just shows its own picture), draws the
graphs with Graphviz, and makes a frame: the command, what it printed, and
the pictures. The page (default build/flipbook/flipbook.html) is one file
with its CSS, JavaScript and SVG inside: it works from file:// with no
network. Buttons or the arrow keys (Left/Right, Home/End) turn the pages.

CMDS comes verbatim, as for make snapshot. A command that powers the kernel
off, or gives no prompt within --timeout seconds, ends the run with one
line; the page keeps the frames made before it.
"""
import html
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import command_session as cs  # noqa: E402

# What the tool types after each command that is not itself a `dot`.
STATE_PICTURES = ["dot buddy", "dot alloc"]


class Frame:
    """One command: what it printed and the pictures of the state after it."""

    def __init__(self, command):
        self.command = command
        self.output = []  # the lines it printed, its graphs left out
        self.pictures = []  # (the dot command, Graphviz's SVG file)
        self.note = None  # why the run ended here, if it did


def without_graphs(lines):
    """@lines with every `digraph ... }` block taken out."""
    return cs.pc.clean_lines(re.sub(r"^digraph .*?^}$\n?", "", "\n".join(lines),
                                    flags=re.S | re.M))


def inline_svg(svg, prefix):
    """Graphviz's SVG file made fit to sit inside an HTML page: no XML
    prologue or DOCTYPE (whose address is the only one in it), no namespace
    attributes (HTML knows <svg>), and its ids made unique in the page by
    @prefix (every picture calls its first group "graph0")."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = svg.replace('id="', 'id="%s-' % prefix).replace("url(#", "url(#%s-" % prefix)
    return svg.replace('href="#', 'href="#%s-' % prefix).strip()


def pictures(command, lines):
    """The pictures (dot command, SVG) of @command's graphs in @lines."""
    return [(command, cs.render(graph, "svg").decode())
            for graph in cs.pc.dot_blocks("\n".join(lines))]


def run(session, commands):
    """Type each command and the state pictures after it; the frames."""
    frames = []
    for i, command in enumerate(commands):
        print("[%d/%d] %s" % (i + 1, len(commands), command), flush=True)
        left = len(commands) - i - 1
        frame = Frame(command)
        frames.append(frame)
        lines = session.run(command, left)
        if lines is None:  # the kernel stopped: show what it printed last
            frame.output = without_graphs(session.last_output)
            frame.note = session.stopped
            break
        frame.output = without_graphs(lines)
        frame.pictures = pictures(command, lines)
        if cs.is_dot(command):
            continue
        for state in STATE_PICTURES:
            lines = session.run(state, left)
            if lines is None:
                frame.note = session.stopped
                break
            frame.pictures += pictures(state, lines)
        if frame.note:
            break
    return frames


STYLE = """
body { font-family: sans-serif; margin: 0; background: #fafafa; color: #222; }
nav { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ccc;
      padding: 0.5em 1em; display: flex; gap: 0.5em; align-items: center; }
nav button { font-size: 1em; padding: 0.2em 0.8em; }
#counter { font-weight: bold; min-width: 4em; text-align: center; }
.hint { color: #777; margin-left: auto; }
.frame { padding: 0 1em 1em; }
.frame h2 { font-size: 1.2em; }
.body { display: flex; gap: 1em; align-items: flex-start; }
.output { flex: 0 0 24em; max-width: 30%; background: #fff; border: 1px solid #ccc; padding: 0.5em;
          white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
.note { color: #a00; font-weight: bold; }
.pictures { flex: 1; min-width: 0; }
figure { margin: 0 0 1em; background: #fff; border: 1px solid #ccc; padding: 0.5em;
         overflow-x: auto; }
figcaption { font-family: monospace; color: #555; margin-bottom: 0.3em; }
figure svg { max-width: 100%; height: auto; cursor: zoom-in; }
figure.actual svg { max-width: none; cursor: zoom-out; }
"""

# Shows one frame at a time (without JavaScript every frame shows, one under
# another). The page's address ends in #N, so a reload stays on frame N.
SCRIPT = """
const frames = document.querySelectorAll(".frame");
let current = 0;
function show(n) {
  current = Math.max(0, Math.min(frames.length - 1, n));
  frames.forEach((f, i) => { f.hidden = i !== current; });
  document.getElementById("counter").textContent = (current + 1) + " / " + frames.length;
  history.replaceState(null, "", "#" + (current + 1));
}
document.getElementById("first").onclick = () => show(0);
document.getElementById("prev").onclick = () => show(current - 1);
document.getElementById("next").onclick = () => show(current + 1);
document.getElementById("last").onclick = () => show(frames.length - 1);
document.addEventListener("keydown", (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  const to = { ArrowLeft: current - 1, ArrowRight: current + 1,
               Home: 0, End: frames.length - 1 }[e.key];
  if (to !== undefined) { e.preventDefault(); show(to); }
});
// A click on a picture shows it at its real size (scrolling), another fits it.
document.querySelectorAll("figure").forEach((f) => {
  f.onclick = () => f.classList.toggle("actual");
});
show((parseInt(location.hash.slice(1), 10) || 1) - 1);
"""


def page(frames, arch):
    """The whole HTML page of @frames, as text."""
    esc = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             "<title>Pagoda flipbook (%s, %s)</title>" % (
                 esc(arch), cs.plural(len(frames), "command")),
             "<style>%s</style>" % STYLE, "</head>", "<body>",
             "<nav>",
             '<button id="first" title="Home">&laquo; first</button>',
             '<button id="prev" title="Left arrow">&lsaquo; prev</button>',
             '<span id="counter">1 / %d</span>' % len(frames),
             '<button id="next" title="Right arrow">next &rsaquo;</button>',
             '<button id="last" title="End">last &raquo;</button>',
             '<span class="hint">keys: &larr; &rarr; Home End; click a picture to zoom</span>',
             "</nav>"]
    for n, frame in enumerate(frames, 1):
        parts.append('<section class="frame" id="frame-%d" data-command="%s">' % (
            n, esc(frame.command)))
        parts.append("<h2>%d. after <code>pagoda&gt; %s</code></h2>" % (n, esc(frame.command)))
        parts.append('<div class="body">')
        output = "\n".join(frame.output) or "(no output)"
        parts.append('<pre class="output">%s</pre>' % esc(output))
        parts.append('<div class="pictures">')
        if frame.note:
            parts.append('<p class="note">%s</p>' % esc(frame.note))
        for m, (command, svg) in enumerate(frame.pictures, 1):
            parts.append('<figure data-dot="%s"><figcaption>%s</figcaption>%s</figure>' % (
                esc(command), esc(command), inline_svg(svg, "f%d-p%d" % (n, m))))
        parts += ["</div>", "</div>", "</section>"]
    parts += ["<script>%s</script>" % SCRIPT, "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def main():
    args = cs.parser(__doc__, "build/flipbook/flipbook.html").parse_args()
    commands = cs.split_commands(args.commands, "alloc 3; kmalloc 100")
    if commands is None:
        return 2
    session = cs.boot(args.arch, args.mem, args.timeout)
    if session is None:
        return 1
    with session:
        frames = run(session, commands)
    if os.path.dirname(args.out):
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(page(frames, args.arch))
    print("wrote %s (%s)" % (args.out, cs.plural(len(frames), "frame")))
    return session.last_line("%s kept" % cs.plural(len(frames), "frame"))


if __name__ == "__main__":
    sys.exit(main())
