// The rules editor: a problem's link selects its line in the draft; the gutter follows the text's lines.
(function () {
  const text = document.getElementById("text");
  if (!text) return;
  const gutter = document.querySelector(".editor .gutter");
  function lineStart(n) {
    let at = 0;
    for (let i = 1; i < n; i++) { const next = text.value.indexOf("\n", at); if (next < 0) break; at = next + 1; }
    return at;
  }
  document.querySelectorAll("a[data-line]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      const n = parseInt(link.dataset.line, 10);
      const start = lineStart(n);
      let end = text.value.indexOf("\n", start);
      if (end < 0) end = text.value.length;
      text.focus();
      text.setSelectionRange(start, end);
      const row = document.getElementById("L" + n);
      if (row) row.scrollIntoView({ block: "center" });
    });
  });
  function grow() {
    const lines = text.value.split("\n").length;
    text.rows = lines;
    if (gutter.children.length !== lines) {
      const bad = new Set(Array.from(gutter.querySelectorAll(".bad")).map(function (s) { return s.id; }));
      gutter.innerHTML = "";
      for (let i = 1; i <= lines; i++) {
        const span = document.createElement("span");
        span.id = "L" + i; span.textContent = i + "\n";
        if (bad.has(span.id)) span.className = "bad";
        gutter.appendChild(span);
      }
    }
  }
  text.addEventListener("input", grow);
  // Tab types two spaces, as YAML wants; Esc, then Tab, moves on (no keyboard trap).
  let escaped = false;
  text.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { escaped = true; return; }
    if (event.key === "Tab" && !event.shiftKey && !escaped) {
      event.preventDefault();
      text.setRangeText("  ", text.selectionStart, text.selectionEnd, "end");
    }
    escaped = false;
  });
})();
