"use strict";
// nkdiplomacy annotate: the page. Every answer is sent at once; the server appends it to the labels file.
(function () {
  const token = document.querySelector('meta[name="token"]').content;
  let state = null;          // from /api/state
  let done = new Set();
  let skipped = new Set();
  let current = null;        // key of the item shown
  let busy = false;
  let counterpartsTouched = false;  // the annotator typed in the counterparts field for this item

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  async function api(path, body) {
    const opts = { headers: { "X-Token": token } };
    if (body !== undefined) {
      opts.method = "POST";
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const resp = await fetch(path, opts);
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(data.error || resp.statusText);
    return data;
  }

  function nextKey() {
    const item = state.items.find((i) => !done.has(i.key) && !skipped.has(i.key));
    return item ? item.key : null;
  }

  function byKey(key) { return state.items.find((i) => i.key === key); }

  function render() {
    const total = state.items.length;
    $("progress").textContent = `${done.size} of ${total} labeled` + (skipped.size ? ` (${skipped.size} skipped)` : "");
    $("output").textContent = "answers are appended to " + state.output;
    const item = current ? byKey(current) : null;
    const answers = $("answers");
    answers.replaceChildren();
    if (!item) {
      $("seg-ref").textContent = "";
      $("seg-text").textContent = "";
      $("guess").replaceChildren(el("span", skipped.size
        ? `All done except ${skipped.size} skipped segment(s); they come back after a restart.`
        : "All done.", "finished"));
      $("page").replaceChildren();
      $("page-title").textContent = "Page";
      document.body.dataset.current = "";
      return;
    }
    document.body.dataset.current = item.key;
    if (document.body.dataset.shown !== item.key) {  // a new item: its counterparts field starts empty
      document.body.dataset.shown = item.key;
      $("counterparts").value = "";
      counterpartsTouched = false;
    }
    const guessed = item.guess_relevant && item.guess_counterparts ? item.guess_counterparts : null;
    $("counterparts-guess").textContent = guessed ? `model's guess: ${guessed.join(" ") || "none"}` : "";
    $("seg-ref").textContent = `${item.seg_id} of ${item.doc_id}`;
    $("seg-text").textContent = item.text;
    let guess = "no guess";
    if (item.guess_relevant !== null) {
      guess = item.guess_relevant ? `model's guess: on-topic, ${item.guess_type}` : "model's guess: off-topic";
      if (item.score !== null) guess += ` (relevance ${item.score.toFixed(2)})`;
    }
    $("guess").textContent = guess;
    const off = el("button", "0 off-topic");
    off.dataset.answer = "off";
    if (item.guess_relevant === false) off.classList.add("guess");
    off.addEventListener("click", () => answer(false, null));
    answers.append(off);
    state.types.forEach((t, k) => {
      const b = el("button", `${k + 1} ${t.name}`);
      b.dataset.answer = t.name;
      b.title = t.description;
      if (item.guess_relevant && item.guess_type === t.name) b.classList.add("guess");
      b.addEventListener("click", () => answer(true, t.name));
      answers.append(b);
    });
    // The page, with the segment highlighted and scrolled into view.
    const page = state.pages[item.doc_id] || [];
    $("page-title").textContent = `Page ${item.doc_id} (${page.length} lines)`;
    const list = $("page");
    list.replaceChildren();
    let mark = null;
    for (const [segId, text] of page) {
      const li = el("li", text);
      li.value = segId;
      li.dataset.seg = segId;
      if (segId === item.seg_id) { li.classList.add("current"); mark = li; }
      else if (done.has(`${item.doc_id}\t${segId}`)) li.classList.add("done");
      list.append(li);
    }
    if (mark) mark.scrollIntoView({ block: "center" });
  }

  async function act(fn) {
    if (busy) return;
    busy = true;
    $("message").textContent = "";
    try { await fn(); } catch (e) { $("message").textContent = "Not saved: " + e.message; }
    busy = false;
    render();
  }

  function typedCounterparts() {
    return $("counterparts").value.split(/[\s,;]+/).filter(Boolean);
  }

  function answer(relevant, eventType, counterparts) {
    if (!current) return;
    const key = current;
    if (counterparts === undefined) counterparts = relevant && counterpartsTouched ? typedCounterparts() : null;
    return act(async () => {
      await api("/api/answer", { key, relevant, event_type: eventType, counterparts });
      done.add(key);
      current = nextKey();
    });
  }

  function skip() {
    if (!current) return;
    const key = current;
    return act(async () => {
      await api("/api/skip", { key });
      skipped.add(key);
      current = nextKey();
    });
  }

  function undo() {
    return act(async () => {
      const r = await api("/api/undo", {});
      done.delete(r.key);
      skipped.delete(r.key);
      current = r.key;
    });
  }

  function acceptGuess() {
    const item = current ? byKey(current) : null;
    if (!item || item.guess_relevant === null) return;
    const counterparts = !item.guess_relevant ? null
      : counterpartsTouched ? typedCounterparts() : item.guess_counterparts;
    answer(item.guess_relevant, item.guess_relevant ? item.guess_type : null, counterparts);
  }

  $("counterparts").addEventListener("input", () => { counterpartsTouched = true; });
  $("counterparts").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === "Escape") { ev.preventDefault(); $("counterparts").blur(); }
    ev.stopPropagation();  // typing codes is not answering
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || !state) return;
    const k = ev.key;
    if (k === "c") { ev.preventDefault(); $("counterparts").focus(); return; }
    if (k >= "1" && k <= "9" && Number(k) <= state.types.length) answer(true, state.types[Number(k) - 1].name);
    else if (k === "0" || k === "x") answer(false, null);
    else if (k === "Enter") acceptGuess();
    else if (k === "s") skip();
    else if (k === "u" || k === "Backspace") undo();
    else return;
    ev.preventDefault();
  });

  async function start() {
    state = await api("/api/state");
    done = new Set(state.done);
    skipped = new Set(state.skipped);
    const table = $("types");
    state.types.forEach((t, k) => {
      const tr = el("tr");
      tr.append(el("td", String(k + 1)), el("td", t.name), el("td", t.description));
      table.append(tr);
    });
    current = nextKey();
    render();
    document.body.dataset.ready = "1";
  }
  start().catch((e) => { $("progress").textContent = "Cannot load: " + e.message; });
})();
