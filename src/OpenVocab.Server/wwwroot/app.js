// OpenVocab web page: plain JavaScript against the server's REST API. Detection asks once with a low confidence and
// re-filters locally when the slider moves, so the image is never sent again for a new threshold.
"use strict";

const MIN_CONF = 0.05;
const COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c", "#008080", "#9a6324"];
const state = { file: null, bitmap: null, detections: [], drawn: [], requests: 0 };
window.openvocab = state; // read by the browser test

const $ = (id) => document.getElementById(id);

function headers() {
  const key = $("api-key").value.trim();
  return key ? { "X-Api-Key": key } : {};
}

function showError(text) { $("status").textContent = text; }

async function call(path, init) {
  state.requests++;
  const response = await fetch(path, { ...init, headers: { ...headers(), ...(init.headers || {}) } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(`${response.status}${body.field ? " " + body.field : ""}: ${body.detail || body.title || "request failed"}`);
  }
  return body;
}

async function setFile(file) {
  if (!file) return;
  state.file = file;
  state.detections = [];
  state.bitmap = await createImageBitmap(file);
  const canvas = $("canvas");
  canvas.width = state.bitmap.width;
  canvas.height = state.bitmap.height;
  canvas.hidden = false;
  drawBoxes();
}

function drawBoxes() {
  const canvas = $("canvas");
  const ctx = canvas.getContext("2d");
  if (state.bitmap) ctx.drawImage(state.bitmap, 0, 0);
  const conf = parseFloat($("conf").value);
  $("conf-value").textContent = conf.toFixed(2);
  state.drawn = state.detections.filter((d) => d.score >= conf);
  const list = $("detections");
  list.replaceChildren();
  ctx.lineWidth = Math.max(2, canvas.width / 320);
  ctx.font = `${Math.max(12, canvas.width / 45)}px system-ui, sans-serif`;
  for (const d of state.drawn) {
    const [x1, y1, x2, y2] = d.box;
    const color = COLORS[d.classIndex % COLORS.length];
    ctx.strokeStyle = color;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = `${d.label} ${d.score.toFixed(2)}`;
    const h = parseInt(ctx.font, 10) + 4;
    const w = ctx.measureText(text).width + 6;
    const ty = y1 >= h ? y1 - h : y1;
    ctx.fillStyle = color;
    ctx.fillRect(x1, ty, w, h);
    ctx.fillStyle = "#fff";
    ctx.fillText(text, x1 + 3, ty + h - 5);
    const item = document.createElement("li");
    item.textContent = `${text}  [${d.box.map((v) => v.toFixed(1)).join(", ")}]`;
    item.dataset.label = d.label;
    item.dataset.score = d.score;
    list.append(item);
  }
}

async function detect() {
  showError("");
  if (!state.file) return showError("Choose an image first.");
  const form = new FormData();
  form.append("images", state.file, state.file.name);
  form.append("classes", $("classes").value);
  form.append("conf", String(MIN_CONF));
  try {
    const doc = await call("/v1/detect", { method: "POST", body: form });
    state.detections = doc.results[0].detections;
    drawBoxes();
  } catch (e) { showError(e.message); }
}

async function classify() {
  showError("");
  if (!state.file) return showError("Choose an image first.");
  const form = new FormData();
  form.append("images", state.file, state.file.name);
  form.append("labels", $("labels").value);
  try {
    const doc = await call("/v1/classify", { method: "POST", body: form });
    $("predictions").replaceChildren(...doc.results[0].predictions.map((p) => {
      const li = document.createElement("li");
      li.textContent = `${p.label}  ${(100 * p.score).toFixed(1)} %`;
      return li;
    }));
  } catch (e) { showError(e.message); }
}

async function search() {
  showError("");
  try {
    const doc = await call("/v1/search", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: $("query").value, top_k: 5 }) });
    $("hits").replaceChildren(...doc.results.map((h) => {
      const li = document.createElement("li");
      li.textContent = `${h.path}  ${h.score.toFixed(3)}`;
      return li;
    }));
  } catch (e) { showError(e.message); }
}

function selectTab(name) {
  for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.tab === name);
  for (const panel of ["detect", "classify", "search"]) $(`panel-${panel}`).classList.toggle("hidden", panel !== name);
}

async function loadInfo() {
  try {
    const info = await call("/v1/info", { method: "GET" });
    $("tab-search").classList.toggle("hidden", !info.index);
  } catch (e) { showError(e.message); }
}

$("file").addEventListener("change", (e) => setFile(e.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); setFile(e.dataTransfer.files[0]); });
$("conf").addEventListener("input", drawBoxes);
$("detect").addEventListener("click", detect);
$("classify").addEventListener("click", classify);
$("search").addEventListener("click", search);
$("classes").addEventListener("keydown", (e) => { if (e.key === "Enter") detect(); });
$("api-key").value = localStorage.getItem("openvocab-key") || "";
$("api-key").addEventListener("change", () => { localStorage.setItem("openvocab-key", $("api-key").value); loadInfo(); });
for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => selectTab(tab.dataset.tab));
loadInfo();
