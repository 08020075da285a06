/* Full-text search of the course site (tools/site/site_search.py writes the
 * sections it searches, PAGODA_SEARCH_TEXT, into search-text.js).
 * A section matches when it holds every word typed (any case); sections
 * whose heading holds the words come first, then those with more hits. */
(function () {
	var input = document.getElementById("pagoda-query");
	var results = document.getElementById("pagoda-results");

	function escapeHtml(s) {
		return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
	}

	function snippet(text, word) {
		var at = text.toLowerCase().indexOf(word);
		var start = Math.max(0, at - 80);
		if (start > 0)  /* begin at a word, not inside one */
			start = Math.min(at, text.indexOf(" ", start) + 1 || at);
		var piece = (start > 0 ? "… " : "") + text.substr(start, 220) +
			(start + 220 < text.length ? " …" : "");
		var html = escapeHtml(piece);
		var re = new RegExp("(" + escapeHtml(word).replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + ")", "gi");
		return html.replace(re, "<mark>$1</mark>");
	}

	function count(haystack, word) {
		var n = 0, at = haystack.indexOf(word);
		while (at >= 0) {
			n++;
			at = haystack.indexOf(word, at + word.length);
		}
		return n;
	}

	function search() {
		var words = input.value.toLowerCase().split(/\s+/).filter(function (w) { return w; });
		if (!words.length) {
			results.innerHTML = "";
			return;
		}
		var found = [];
		PAGODA_SEARCH_TEXT.forEach(function (s) {
			var text = s.text.toLowerCase(), heading = s.section.toLowerCase();
			var score = 0;
			for (var i = 0; i < words.length; i++) {
				var hits = count(text, words[i]), inHeading = count(heading, words[i]);
				if (!hits && !inHeading)
					return;
				score += hits + 100 * inHeading;
			}
			found.push({ s: s, score: score });
		});
		found.sort(function (a, b) { return b.score - a.score; });
		var html = "<p>" + found.length + (found.length === 1 ? " section" : " sections") +
			" hold" + (found.length === 1 ? "s" : "") + " " +
			escapeHtml(words.join(" ")) + ".</p>";
		found.slice(0, 50).forEach(function (f) {
			html += "<div class=\"pagoda-hit\"><a href=\"" + f.s.url + "\">" +
				escapeHtml(f.s.page + (f.s.section ? " › " + f.s.section : "")) +
				"</a><br>" + snippet(f.s.text, words[0]) + "</div>";
		});
		results.innerHTML = html;
	}

	input.addEventListener("input", search);
	var asked = new URLSearchParams(window.location.search).get("q");
	if (asked) {
		input.value = asked;
	}
	search();
})();
