/**
 * The dashboard's single page: plain HTML, CSS and a small script (no build step, no framework).
 * Hash routes: `#/` the runs, `#/run/ID` a run (task cards, lanes, workers, a state timeline, the
 * transition log), `#/run/ID/worker/DID` a worker (result, usage, retry chain, live log). Live data
 * comes from server-sent events; the page never polls.
 */
const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#0f1115;color:#e6e6e6}
header{padding:10px 16px;background:#181b22;border-bottom:1px solid #2a2f3a;display:flex;gap:16px;align-items:baseline}
header a{color:#9ecbff;text-decoration:none}main{padding:12px 16px}
table{border-collapse:collapse;width:100%;margin:8px 0 16px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #262a33;vertical-align:top}
th{color:#9aa4b2;font-weight:500}a{color:#9ecbff}
.state{padding:1px 6px;border-radius:4px;font-size:12px;background:#333}
.state.running_active,.state.running,.state.returned,.state.completed,.state.fanned_in{background:#1f5130}
.state.running_quiet{background:#5a4a12}.state.stale,.state.timed_out,.state.failed,.state.reclaimed{background:#6b1f24}
.state.cancelled{background:#4b2463}.state.queued,.state.launching{background:#27415e}
button{background:#2a3140;color:#e6e6e6;border:1px solid #3a4254;border-radius:4px;padding:2px 8px;cursor:pointer}
button:disabled{opacity:.4;cursor:default}
pre{background:#0a0c10;border:1px solid #262a33;padding:8px;max-height:420px;overflow:auto;white-space:pre-wrap}
#conn{font-size:12px;color:#9aa4b2}#conn.down{color:#ff8080}
.muted{color:#9aa4b2}svg text{fill:#9aa4b2;font-size:11px}
`;

const SCRIPT = String.raw`
const token = document.querySelector('meta[name=captain-token]').content;
const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const api = async (path, opts = {}) => {
  const res = await fetch(path, { credentials: 'same-origin', ...opts, headers: { ...(opts.headers || {}), ...(opts.method === 'POST' ? { 'x-captain-token': token, 'content-type': 'application/json' } : {}) } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
};
const age = (ms) => ms == null ? '' : ms < 1000 ? ms + ' ms' : ms < 60000 ? (ms / 1000).toFixed(1) + ' s' : Math.floor(ms / 60000) + 'm ' + String(Math.floor(ms / 1000) % 60).padStart(2, '0') + 's';
const phaseOf = (w) => { const l = w.worker_lifecycle; if (!l) return w.status || 'unknown'; return l.reclaim_state === 'reclaimed' ? 'reclaimed' : l.state; };
const COLORS = { queued: '#27415e', launching: '#2d5a8a', running: '#2e8b57', running_active: '#2e8b57', running_quiet: '#b38b1d', stale: '#c0392b', timed_out: '#c0392b', returned: '#3fb950', completed: '#3fb950', failed: '#e5534b', reclaimed: '#a1262d', cancelled: '#8e44ad' };
let source = null, logSource = null, refreshTimer = null, current = null;
let transitions = [], seen = new Set(), cursor = 0, logEntries = [];
const closeStreams = () => { if (source) source.close(); if (logSource) logSource.close(); source = logSource = null; };
const setConn = (up) => { const el = $('#conn'); el.textContent = up ? 'live' : 'reconnecting…'; el.className = up ? '' : 'down'; };

const timeline = (ids) => {
  if (transitions.length === 0) return '<p class="muted">no transitions logged yet</p>';
  const t0 = Math.min(...transitions.map((t) => Date.parse(t.at)));
  const t1 = Math.max(Date.now(), ...transitions.map((t) => Date.parse(t.at))) + 1;
  const W = 900, L = 200, rowH = 18;
  const rows = ids.map((id, i) => {
    const mine = transitions.filter((t) => t.delegation_id === id);
    const segs = mine.map((t, j) => { const a = Date.parse(t.at), b = j + 1 < mine.length ? Date.parse(mine[j + 1].at) : t1;
      const x = L + (a - t0) / (t1 - t0) * (W - L), w = Math.max(2, (b - a) / (t1 - t0) * (W - L));
      return '<rect x="' + x.toFixed(1) + '" y="' + (i * rowH + 2) + '" width="' + w.toFixed(1) + '" height="' + (rowH - 4) + '" fill="' + (COLORS[t.to] || '#555') + '"><title>' + esc(t.to + ' at ' + t.at) + '</title></rect>'; }).join('');
    return '<text x="0" y="' + (i * rowH + 13) + '">' + esc(id) + '</text>' + segs;
  }).join('');
  return '<svg class="timeline" width="' + W + '" height="' + (ids.length * rowH + 4) + '">' + rows + '</svg>';
};

const scheduleRefresh = () => { clearTimeout(refreshTimer); refreshTimer = setTimeout(() => render(false), 60); };

const openRunStream = (runId) => {
  source = new EventSource('/api/runs/' + encodeURIComponent(runId) + '/events?cursor=' + cursor);
  source.onopen = () => setConn(true);
  source.addEventListener('log', (e) => {
    const c = Number(e.lastEventId); if (seen.has(c)) return; seen.add(c); cursor = Math.max(cursor, c);
    const ev = JSON.parse(e.data);
    if (ev.event === 'worker_transition') transitions.push({ delegation_id: ev.delegation_id, to: ev.to, at: ev.at, cursor: c });
    const entry = '<div class="entry" data-cursor="' + c + '">' + esc(ev.at + ' ' + ev.event + ' ' + (ev.delegation_id || ev.task_card_id || '') + (ev.to ? ' → ' + ev.to : '')) + '</div>';
    logEntries.push(entry);
    const log = $('#log'); if (log) log.insertAdjacentHTML('beforeend', entry);
    scheduleRefresh();
  });
  source.addEventListener('changed', scheduleRefresh);
  source.onerror = () => { setConn(false); if (source.readyState === EventSource.CLOSED) { source.close(); setTimeout(() => { if (current && current.runId === runId) openRunStream(runId); }, 1000); } };
};

const act = async (runId, id, action) => {
  let body = {};
  if (action === 'cancel' && !confirm('Cancel ' + id + '?')) return;
  if (action === 'follow-up') { const prompt = window.prompt('Follow-up prompt for ' + id); if (!prompt) return; body = { prompt }; }
  try { const r = await api('/api/runs/' + encodeURIComponent(runId) + '/workers/' + encodeURIComponent(id) + '/' + action, { method: 'POST', body: JSON.stringify(body) }); $('#msg').textContent = action + ': ' + JSON.stringify(r).slice(0, 300); }
  catch (e) { $('#msg').textContent = action + ' failed: ' + e.message; }
  scheduleRefresh();
};
window.act = act;

const buttons = (runId, w) => { const p = phaseOf(w), ended = ['returned','completed','failed','cancelled','reclaimed'].includes(p);
  return '<button data-act="reclaim" onclick="act(\'' + esc(runId) + '\',\'' + esc(w.delegation_id) + '\',\'reclaim\')"' + (ended ? ' disabled' : '') + '>reclaim</button> ' +
    '<button data-act="cancel" onclick="act(\'' + esc(runId) + '\',\'' + esc(w.delegation_id) + '\',\'cancel\')"' + (ended ? ' disabled' : '') + '>cancel</button> ' +
    '<button data-act="follow-up" onclick="act(\'' + esc(runId) + '\',\'' + esc(w.delegation_id) + '\',\'follow-up\')"' + (ended && w.work_kind !== 'command' ? '' : ' disabled') + '>follow-up</button>'; };

const renderRuns = async () => {
  const list = await api('/api/runs');
  $('main').innerHTML = '<h2>Runs in ' + esc(list.runs_dir) + '</h2><table><tr><th>title</th><th>outcome</th><th>workers</th><th>tokens</th><th>cost</th><th>worktrees</th><th>run</th></tr>' +
    list.runs.map((r) => '<tr><td><a href="#/run/' + encodeURIComponent(r.run_id) + '">' + esc(r.title || r.run_id) + '</a></td><td><span class="state ' + esc(r.outcome) + '">' + esc(r.outcome) + '</span></td><td>' + esc(Object.entries(r.counts || {}).map(([k, v]) => v + ' ' + k).join(' · ')) + '</td><td>' + esc(r.total_tokens || '') + '</td><td>' + (r.cost_usd == null ? '' : '$' + r.cost_usd.toFixed(3)) + '</td><td class="disk">' + (r.worktree_disk && r.worktree_disk.worktrees > 0 ? (r.worktree_disk.bytes / 1e6).toFixed(1) + ' MB (' + r.worktree_disk.worktrees + ')' : '') + '</td><td class="muted">' + esc(r.run_id) + '</td></tr>').join('') + '</table>';
};

const renderRun = async (runId) => {
  const run = await api('/api/runs/' + encodeURIComponent(runId));
  const ids = [];
  const cards = run.task_cards.map((card) => { const v = card.worker_visibility || { workers: [] };
    const rows = (v.workers || []).map((w) => { ids.push(w.delegation_id); const l = w.worker_lifecycle || {}; const p = phaseOf(w);
      return '<tr data-delegation="' + esc(w.delegation_id) + '"><td><a href="#/run/' + encodeURIComponent(runId) + '/worker/' + encodeURIComponent(w.delegation_id) + '">' + esc(w.delegation_id) + '</a></td><td>' + esc(w.summary) + '</td><td>' + esc((run.worker_lanes || {})[w.delegation_id] || '') + '</td><td>' + esc(w.work_kind) + '</td><td><span class="state ' + esc(p) + '" data-state="' + esc(p) + '">' + esc(p) + '</span></td><td>' + esc(age(l.elapsed_since_progress_ms)) + '</td><td>' + buttons(runId, w) + '</td></tr>'; }).join('');
    const lanes = (run.lanes || {})[card.task_card_id];
    return '<h3>' + esc(card.task_card_id) + '</h3>' + (lanes ? '<p class="muted">lanes: ' + esc(lanes.join(', ')) + '</p>' : '') + '<table><tr><th>worker</th><th>title</th><th>lane</th><th>kind</th><th>state</th><th>since progress</th><th></th></tr>' + rows + '</table>'; }).join('');
  $('main').innerHTML = '<h2>' + esc(run.title || run.run_id) + '</h2><p id="msg" class="muted"></p>' + cards + '<h3>Timeline</h3>' + timeline(ids) + '<h3>Log</h3><div id="log">' + logEntries.join('') + '</div>';
};

const renderWorker = async (runId, id) => {
  const w = await api('/api/runs/' + encodeURIComponent(runId) + '/workers/' + encodeURIComponent(id));
  const r = w.result;
  $('main').innerHTML = '<p><a href="#/run/' + encodeURIComponent(runId) + '">← run</a></p><h2>' + esc(id) + '</h2><p id="msg" class="muted"></p>' +
    '<table><tr><th>status</th><td><span class="state ' + esc(r.state || r.status) + '" id="worker-state">' + esc(r.state || r.status) + '</span></td></tr><tr><th>summary</th><td>' + esc(r.summary) + '</td></tr><tr><th>failure</th><td>' + esc(r.failure_reason) + '</td></tr><tr><th>usage</th><td>' + esc(JSON.stringify(r.usage)) + '</td></tr><tr><th>cost</th><td>' + (r.cost_usd == null ? 'unknown' : '$' + Number(r.cost_usd).toFixed(4)) + '</td></tr><tr><th>retry chain</th><td>' +
    w.retry_chain.map((d) => d === id ? esc(d) : '<a href="#/run/' + encodeURIComponent(runId) + '/worker/' + encodeURIComponent(d) + '">' + esc(d) + '</a>').join(' → ') + '</td></tr></table>' +
    '<h3>Final message</h3><pre>' + esc(r.final_message || '') + '</pre><h3>Live log</h3><pre id="worker-log"></pre>';
  logSource = new EventSource('/api/runs/' + encodeURIComponent(runId) + '/workers/' + encodeURIComponent(id) + '/log');
  logSource.addEventListener('lines', (e) => { const pre = $('#worker-log'); pre.textContent += JSON.parse(e.data).join('\n') + '\n'; pre.scrollTop = pre.scrollHeight; });
};

async function render(full = true) {
  const m = location.hash.match(/^#\/run\/([^/]+)(?:\/worker\/([^/]+))?/);
  const route = m ? { runId: decodeURIComponent(m[1]), workerId: m[2] && decodeURIComponent(m[2]) } : {};
  try {
    if (full) { closeStreams(); transitions = []; seen = new Set(); cursor = 0; logEntries = []; current = route; }
    if (!route.runId) return await renderRuns();
    if (route.workerId) { if (full) await renderWorker(route.runId, route.workerId); else { const w = await api('/api/runs/' + encodeURIComponent(route.runId) + '/workers/' + encodeURIComponent(route.workerId)); $('#worker-state').textContent = w.result.state || w.result.status; } if (full) openRunStream(route.runId); return; }
    await renderRun(route.runId);
    if (full) openRunStream(route.runId);
  } catch (e) { $('main').innerHTML = '<p class="down">' + esc(e.message) + '</p>'; }
}
window.addEventListener('hashchange', () => render(true));
render(true);
`;

export const dashboardPage = (token: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="captain-token" content="${token}"><title>captain dashboard</title><style>${STYLE}</style></head>
<body><header><strong>captain</strong><a href="#/">runs</a><span id="conn">connecting…</span></header><main></main>
<script>${SCRIPT}</script></body></html>`;
