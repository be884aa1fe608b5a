// The report's index, filters and threshold slider, built from the segments' data attributes.
// Page text is never parsed as HTML here: everything shown is set with textContent.
(function () {
  "use strict";
  const slider = document.getElementById("threshold");
  const shown = document.getElementById("threshold-value");
  const typeFilter = document.getElementById("filter-type");
  const counterpartFilter = document.getElementById("filter-counterpart");
  const hideOff = document.getElementById("hide-off");
  const tbody = document.querySelector("#index tbody");
  const types = Array.from(typeFilter.options).map((o) => o.value).filter(Boolean);
  const articles = Array.from(document.querySelectorAll("article.page"));
  const codesOf = (seg) => seg.dataset.counterparts.split(" ").filter(Boolean);

  const codes = new Set();
  articles.forEach((a) => a.querySelectorAll(".seg").forEach((s) => codesOf(s).forEach((c) => codes.add(c))));
  Array.from(codes).sort().forEach((c) => {
    const option = document.createElement("option");
    option.value = c;
    option.textContent = c;
    counterpartFilter.appendChild(option);
  });

  const rows = articles.map((a) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    const link = document.createElement("a");
    link.href = "#" + a.id;
    link.textContent = a.querySelector("h2").textContent;
    name.appendChild(link);
    tr.appendChild(name);
    const cells = [];
    for (let i = 0; i < types.length + 2; i++) {
      cells.push(document.createElement("td"));
      tr.appendChild(cells[i]);
    }
    tbody.appendChild(tr);
    return { tr, cells };
  });

  function update() {
    const threshold = parseFloat(slider.value);
    shown.textContent = threshold.toFixed(2);
    const type = typeFilter.value;
    const code = counterpartFilter.value;
    const filtering = Boolean(type || code);
    document.body.classList.toggle("hide-off", hideOff.checked);
    articles.forEach((a, i) => {
      const counts = Object.fromEntries(types.map((t) => [t, 0]));
      const found = new Set();
      let on = 0;
      let matches = 0;
      a.querySelectorAll(".seg").forEach((s) => {
        const score = parseFloat(s.dataset.score);
        const isOn = score >= threshold;
        s.className = "seg " + (isOn ? "on t-" + s.dataset.type : "off");
        const label = s.querySelector(".label");
        const segCodes = codesOf(s);
        label.textContent = isOn ? [s.dataset.type, score.toFixed(2), ...segCodes].join(" ") : "";
        if (!isOn) return;
        on += 1;
        counts[s.dataset.type] += 1;
        segCodes.forEach((c) => found.add(c));
        const match = (!type || s.dataset.type === type) && (!code || segCodes.includes(code));
        if (match) matches += 1;
        else if (filtering) s.classList.add("dimmed");
      });
      const hidden = filtering && matches === 0;
      a.classList.toggle("filtered-out", hidden);
      rows[i].tr.classList.toggle("filtered-out", hidden);
      const values = [on, ...types.map((t) => counts[t]), Array.from(found).sort().join(" ")];
      values.forEach((v, j) => { rows[i].cells[j].textContent = String(v); });
    });
    document.body.dataset.visible = String(articles.filter((a) => !a.classList.contains("filtered-out")).length);
  }

  slider.value = articles.length ? articles[0].dataset.threshold : "0.5";
  [slider, typeFilter, counterpartFilter, hideOff].forEach((el) => el.addEventListener("input", update));
  [typeFilter, counterpartFilter, hideOff].forEach((el) => el.addEventListener("change", update));
  update();
  document.body.dataset.ready = "1";
})();
