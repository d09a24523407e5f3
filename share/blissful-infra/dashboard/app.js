/* The dashboard's page: views over bi-serve's API, no framework.
 *
 * GETs go with the cookie bi-serve set when the printed URL was opened;
 * POSTs (acknowledging an alert, asking the agent) carry the token in the
 * Authorization header, read once from /api/session. Text from the store is
 * always put in as text (textContent), never as markup. Charts are drawn on
 * canvas by hand: a line per series, its points where values exist. */
'use strict';

let token = null;
let status = null;
let logSource = null, metricSource = null;
const views = {};

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined && text !== null) e.textContent = String(text);
	return e;
}

function row(tbody, cells) {
	const tr = el('tr');
	for (const c of cells) {
		const td = el('td');
		if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined || c === null ? '' : String(c);
		tr.appendChild(td);
	}
	tbody.appendChild(tr);
}

function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }

function fmt(v, digits) {
	if (v === null || v === undefined || Number.isNaN(v)) return '–';
	if (typeof v !== 'number') return String(v);
	const a = Math.abs(v);
	if (digits !== undefined) return v.toFixed(digits);
	if (a >= 1e9) return (v / 1e9).toFixed(1) + 'G';
	if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
	if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
	if (Number.isInteger(v)) return String(v);
	if (a >= 100) return v.toFixed(0);
	if (a >= 1) return v.toFixed(2);
	return v.toPrecision(2);
}

function when(ts) { return ts ? ts.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''; }

async function api(path, opts) {
	const r = await fetch(path, Object.assign({ credentials: 'same-origin' }, opts || {}));
	const body = await r.json().catch(() => ({}));
	if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
	return body;
}

function problem(msg) {
	const p = $('problem');
	p.textContent = msg;
	p.hidden = !msg;
}

/* ---- charts ---- */

const COLORS = ['#0a58ca', '#cf222e', '#1a7f37', '#9a6700', '#8250df'];

/* Draw series (each {name, values}) against times t (ms) on canvas; the
 * number of points drawn goes in its data-points. */
function chart(canvas, t, series, unit) {
	const dpr = window.devicePixelRatio || 1;
	const w = canvas.clientWidth || 320, h = canvas.clientHeight || 160;
	canvas.width = Math.round(w * dpr);
	canvas.height = Math.round(h * dpr);
	const g = canvas.getContext('2d');
	g.scale(dpr, dpr);
	g.clearRect(0, 0, w, h);
	let lo = Infinity, hi = -Infinity;
	for (const s of series) for (const v of s.values) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
	const L = 46, R = 8, T = 14, B = 20;
	g.font = '11px system-ui, sans-serif';
	g.fillStyle = '#6a6f75';
	g.strokeStyle = '#dcdfe3';
	g.lineWidth = 1;
	g.beginPath(); g.moveTo(L, T); g.lineTo(L, h - B); g.lineTo(w - R, h - B); g.stroke();
	let drawn = 0;
	if (lo === Infinity || t.length === 0) {
		g.fillText('no data in this window', L + 8, T + 20);
		canvas.dataset.points = '0';
		return 0;
	}
	if (lo > 0 && lo < hi) lo = 0;
	if (hi === lo) { hi = lo + (Math.abs(lo) || 1); }
	const t0 = t[0], t1 = t[t.length - 1] === t0 ? t0 + 1 : t[t.length - 1];
	const x = (v) => L + (v - t0) / (t1 - t0) * (w - L - R);
	const y = (v) => h - B - (v - lo) / (hi - lo) * (h - T - B);
	g.fillText(fmt(hi) + (unit ? ' ' + unit : ''), 2, T + 4);
	g.fillText(fmt(lo), 2, h - B);
	const clock = (ms) => new Date(ms).toISOString().slice(11, 16);
	g.fillText(clock(t0), L, h - 5);
	g.fillText(clock(t1), w - R - 30, h - 5);
	series.forEach((s, i) => {
		g.strokeStyle = g.fillStyle = COLORS[i % COLORS.length];
		g.lineWidth = 1.5;
		g.beginPath();
		let pen = false;
		s.values.forEach((v, k) => {
			if (v === null) { pen = false; return; }
			if (pen) g.lineTo(x(t[k]), y(v)); else g.moveTo(x(t[k]), y(v));
			pen = true;
			drawn++;
		});
		g.stroke();
		s.values.forEach((v, k) => { if (v !== null) g.fillRect(x(t[k]) - 1.5, y(v) - 1.5, 3, 3); });
		if (series.length > 1) g.fillText(s.name, L + 8 + i * 60, T);
	});
	canvas.dataset.points = String(drawn);
	return drawn;
}

/* ---- views ---- */

views.overview = async function () {
	const cards = $('ov-cards');
	clear(cards);
	const card = (label, value, cls) => {
		const c = el('div', 'card');
		const b = el('b', cls, value);
		c.append(b, el('span', null, label));
		cards.appendChild(c);
	};
	const recs = status.records || {};
	card('services', status.services.length);
	card('log records', fmt(recs.log || 0));
	card('alerts firing', status.alerts_firing, status.alerts_firing ? 'lv-error' : 'ok');
	if (recs.finding) card('findings', recs.finding);
	card('newest record', status.newest ? when(status.newest).slice(0, 16) : 'none');
	const m = await api('/api/metrics?window=5m');
	const tb = $('ov-services').tBodies[0];
	clear(tb);
	const by = {};
	for (const s of m.services) by[s.service] = s.figures;
	/* Health: the newest health check, else the newest container event. */
	const hc = {};
	if (recs.health || recs.container)
		for (const r of (await api('/api/records?kind=health,container&limit=500')).records)
			if (r.service) hc[r.service] = r;
	for (const svc of status.services) {
		const f = by[svc] || {};
		const h = hc[svc];
		const bad = h && (h.kind === 'health' ? !h.ok : /die|oom|kill|stop/.test(h.action || ''));
		const hl = el('span', h ? (bad ? 'lv-error' : 'ok') : '',
			!h ? '–' : h.kind === 'health' ? (h.ok ? 'healthy' : 'unhealthy') : (h.action === 'status' ? h.state : h.action) || '–');
		const v = (k) => f[k] ? f[k].value : null;
		const er = v('error_rate');
		const e = el('span', er === null ? '' : er >= 0.05 ? 'lv-error' : er >= 0.01 ? 'lv-warn' : 'ok',
			er === null ? '–' : (er * 100).toFixed(2) + '%');
		row(tb, [svc, hl, fmt(v('request_rate')), e, fmt(v('latency_p95_ms')), fmt(v('cpu_pct')), fmt(v('mem_pct'))]);
	}
	const a = await api('/api/alerts');
	const box = $('ov-alerts');
	clear(box);
	if (!a.alerts.length) box.appendChild(el('p', 'empty', 'No alert is firing.'));
	for (const al of a.alerts) {
		const p = el('p', 'incident');
		p.append(el('b', 'sev-' + al.severity, al.severity + ' '),
			document.createTextNode(`${al.service}: ${al.name} = ${fmt(al.value)} (threshold ${fmt(al.threshold)}) since ${when(al.ts)} `));
		if (al.acked) p.append(el('span', 'meta', 'acknowledged'));
		else if (al.id !== undefined) {
			const btn = el('button', null, 'Acknowledge');
			btn.type = 'button';
			btn.onclick = async () => {
				try {
					await api('/api/alerts/ack?id=' + encodeURIComponent(al.id),
						{ method: 'POST', headers: { Authorization: 'Bearer ' + token } });
					btn.replaceWith(el('span', 'meta', 'acknowledged'));
				} catch (e) { problem('acknowledge: ' + e.message); }
			};
			p.append(btn);
		}
		box.appendChild(p);
	}
};

const FIGURES = [
	['CPU', ['cpu_pct'], '%'],
	['memory', ['mem_pct', 'mem_bytes'], null],
	['request rate', ['request_rate'], '/s'],
	['error rate', ['error_rate'], null],
	['latency', ['latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms'], 'ms'],
];

views.metrics = async function () {
	const sel = $('m-service');
	if (!sel.options.length) {
		const m = await api('/api/metrics?window=1m');
		for (const s of m.services) sel.appendChild(el('option', null, s.service));
	}
	if (!sel.value) return;
	const h = await api(`/api/metrics/history?service=${encodeURIComponent(sel.value)}&window=${$('m-window').value}&points=60`);
	const box = $('m-charts');
	clear(box);
	for (const [title, names, unit] of FIGURES) {
		let have = names.filter((n) => h.figures[n]);
		if (title === 'memory' && have.length > 1) have = ['mem_pct'];
		if (!have.length) continue;
		const fig = el('figure');
		const cap = el('figcaption', null, title);
		const c = el('canvas');
		c.height = 160;
		c.dataset.figure = have.join(',');
		fig.append(cap, c);
		box.appendChild(fig);
		chart(c, h.t, have.map((n) => ({ name: n.replace(/^latency_|_ms$/g, ''), values: h.figures[n] })),
			unit || h.units[have[0]]);
	}
	if (!box.childNodes.length) box.appendChild(el('p', 'empty', 'No figures for this service yet.'));
	if (!metricSource) {
		metricSource = new EventSource('/api/metrics/stream');
		metricSource.addEventListener('metrics', (ev) => {
			const m = JSON.parse(ev.data);
			const s = m.services.find((x) => x.service === sel.value);
			const f = s ? s.figures : {};
			const parts = [];
			if (f.request_rate) parts.push(fmt(f.request_rate.value) + ' req/s');
			if (f.error_rate && f.error_rate.value !== null) parts.push((f.error_rate.value * 100).toFixed(2) + '% errors');
			if (f.latency_p95_ms) parts.push('p95 ' + fmt(f.latency_p95_ms.value) + ' ms');
			$('m-live').textContent = 'last minute: ' + (parts.join(', ') || 'no requests');
		});
	}
};

function logLine(r) {
	const li = el('li');
	li.append(el('span', 't', when(r.ts) + ' '), el('span', null, (r.service || '-') + ' '),
		el('span', 'lv-' + (r.level || ''), (r.level || '') + ' '), document.createTextNode(r.msg || ''));
	return li;
}

function logQuery() {
	const p = new URLSearchParams();
	if ($('l-service').value) p.set('service', $('l-service').value);
	if ($('l-level').value) p.set('level', $('l-level').value);
	if ($('l-q').value.trim()) p.set('q', $('l-q').value.trim());
	return p;
}

views.logs = async function () {
	const sel = $('l-service');
	if (sel.options.length === 1)
		for (const s of status.services) sel.appendChild(el('option', null, s));
	const p = logQuery();
	if ($('l-since').value) p.set('since', $('l-since').value);
	p.set('limit', '500');
	const r = await api('/api/logs?' + p);
	const list = $('l-list');
	clear(list);
	for (const rec of r.records) list.appendChild(logLine(rec));
	$('l-count').textContent = r.count + (r.count === 500 ? ' newest records' : ' records');
	list.dataset.count = String(r.count);
	tail();
};

function tail() {
	if (logSource) { logSource.close(); logSource = null; }
	delete $('l-list').dataset.tail;
	if (!$('l-tail').checked) return;
	logSource = new EventSource('/api/logs/stream?' + logQuery());
	logSource.onopen = () => { $('l-list').dataset.tail = 'open'; };
	logSource.onmessage = (ev) => {
		const list = $('l-list');
		list.appendChild(logLine(JSON.parse(ev.data)));
		list.dataset.count = String(list.childNodes.length);
		$('l-count').textContent = list.childNodes.length + ' records, live';
	};
}

views.resilience = async function () {
	const latest = (await api('/api/records?kind=score&limit=1')).records[0];
	const cards = $('r-cards');
	clear(cards);
	const tb = $('r-scen').tBodies[0];
	clear(tb);
	const gaps = $('r-gaps');
	clear(gaps);
	if (latest) {
		const c = el('div', 'card');
		c.append(el('b', latest.score >= 75 ? 'ok' : latest.score >= 50 ? 'lv-warn' : 'lv-error',
			fmt(latest.score, 0) + ' / ' + (latest.max || 100)), el('span', null, 'score, ' + when(latest.ts)));
		cards.appendChild(c);
		if (latest.trend) {
			const t = el('div', 'card');
			t.append(el('b', null, latest.trend), el('span', null, 'trend'));
			cards.appendChild(t);
		}
		for (const s of latest.scenarios || [])
			row(tb, [s.scenario, el('span', 'st-' + s.status, s.status), s.points,
				s.recovery_ms === null || s.recovery_ms === undefined ? '–' : fmt(s.recovery_ms / 1000) + ' s', s.summary]);
		for (const g of latest.gaps || [])
			gaps.appendChild(el('li', 'sev-' + (g.severity || ''), `${g.severity || ''} ${g.title || g.scenario || ''}${g.detail ? ': ' + g.detail : ''}`));
		if (!(latest.gaps || []).length) gaps.appendChild(el('li', 'ok', 'none'));
	}
	const sc = await api('/api/scores');
	chart($('r-trend'), sc.scores.map((s) => Date.parse(s.ts)), [{ name: 'score', values: sc.scores.map((s) => s.score) }], '');
	const ch = await api('/api/records?kind=chaos&limit=50');
	const ct = $('r-chaos').tBodies[0];
	clear(ct);
	for (const r of ch.records.reverse())
		row(ct, [when(r.ts), r.scenario, r.target, el('span', 'st-' + r.status, r.status),
			r.recovery_ms === null || r.recovery_ms === undefined ? '–' : fmt(r.recovery_ms / 1000) + ' s', r.reason]);
};

views.performance = async function () {
	const runs = await api('/api/records?kind=perf_summary&limit=50');
	const tb = $('p-runs').tBodies[0];
	clear(tb);
	for (const r of runs.records.reverse()) {
		const l = r.latency || {};
		row(tb, [when(r.ts), r.target, fmt(r.rps), fmt(l.p50), fmt(l.p95), fmt(l.p99),
			r.error_rate === undefined ? '–' : (r.error_rate * 100).toFixed(2) + '%',
			el('span', r.passed === false ? 'st-failed' : 'st-passed', r.passed === false ? 'no' : 'yes')]);
	}
	const cmp = await api('/api/records?kind=comparison&limit=50');
	const ct = $('p-cmp').tBodies[0];
	clear(ct);
	for (const r of cmp.records.reverse())
		row(ct, [when(r.ts), r.metric || 'overall', fmt(r.old), fmt(r.new),
			r.change_pct === undefined ? '–' : fmt(r.change_pct, 1) + '%', r.winner, r.reason || r.recommendation]);
};

views.incidents = async function () {
	const f = await api('/api/findings?limit=50');
	const box = $('i-list');
	clear(box);
	if (!f.records.length) box.appendChild(el('p', 'empty', 'No findings.'));
	for (const r of f.records.reverse()) {
		const d = el('div', 'incident');
		const h = el('p');
		h.append(el('b', 'sev-' + (r.severity || ''), (r.severity || r.kind) + ' '),
			document.createTextNode(`${r.title || ''}${r.service ? ' (' + r.service + ')' : ''}`),
			el('span', 'meta', ` ${when(r.first_seen || r.ts)}${r.confidence !== undefined && r.confidence !== null ? ', confidence ' + fmt(r.confidence, 0) + '%' : ''}`));
		d.appendChild(h);
		if (r.root_cause) d.appendChild(el('p', null, 'Root cause: ' + r.root_cause));
		const fixes = r.fixes || [];
		if (fixes.length) d.appendChild(el('p', null, 'Suggested fix: ' + fixes[0].title +
			(fixes[0].success_rate !== undefined ? ` (worked ${Math.round(fixes[0].success_rate * 100)}% of the time)` : '')));
		else if (r.fix) d.appendChild(el('p', null, 'Fix: ' + r.fix));
		for (const s of (r.similar || []).slice(0, 3))
			d.appendChild(el('p', 'meta', `similar: ${s.title} (${Math.round((s.similarity || 0) * 100)}%)${s.fix ? ', fixed by ' + s.fix : ''}`));
		const tl = r.timeline || [];
		if (tl.length) {
			const ol = el('ol', 'meta');
			for (const t of tl.slice(0, 8)) ol.appendChild(el('li', null, t.text || when(t.ts)));
			d.append(el('p', null, 'Timeline:'), ol);
		}
		box.appendChild(d);
	}
	const kb = await api('/api/kb');
	const tb = $('i-kb').tBodies[0];
	clear(tb);
	$('i-kb').hidden = $('i-kb-h').hidden = !kb.incidents.length;
	for (const i of kb.incidents) row(tb, [when(i.last_seen), i.title, i.service, i.status, i.fix, i.outcome]);
};

views.pipeline = async function () {
	const [p, r] = await Promise.all([api('/api/records?kind=pipeline&limit=300'),
		api('/api/records?kind=canary,k8s_event&limit=100')]);
	// A Jenkins build writes its run's record again after each stage: the
	// newest record of a run says all of it, so each run is one row.
	const runs = new Map();
	for (const x of p.records) {
		const old = runs.get(x.run);
		if (!old || !(x.ts < old.ts)) { runs.delete(x.run); runs.set(x.run, x); }
	}
	const newest = [...runs.values()].sort((a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0));
	const rt = $('pl-runs').tBodies[0];
	clear(rt);
	for (const x of newest) {
		const stages = ['passed', 'failed', 'skipped'].filter((k) => x[k]).map((k) => `${x[k]} ${k}`).join(', ');
		const commit = [x.branch, x.sha ? x.sha.slice(0, 7) : ''].filter(Boolean).join(' @ ');
		const detail = x.failed_stage ? `${x.failed_stage}: ${x.reason || 'failed'}` : (x.reason || '');
		row(rt, [when(x.ts), x.run, commit, el('span', 'st-' + x.status, x.status), stages,
			x.duration_ms === undefined ? '–' : fmt(x.duration_ms / 1000, 1) + ' s', detail]);
	}
	const tb = $('pl-list').tBodies[0];
	clear(tb);
	for (const x of r.records.reverse())
		row(tb, [when(x.ts), x.kind, x.service || x.object || '', x.event || x.reason || x.decision || '',
			x.kind === 'canary' ? `step ${x.step ?? ''} weight ${x.weight ?? ''}% ${x.reason || ''}` : (x.msg || x.message || '')]);
	$('pl-empty').hidden = runs.size > 0 || r.count > 0;
	$('pl-runs').hidden = $('pl-runs-h').hidden = runs.size === 0;
	$('pl-list').hidden = $('pl-list-h').hidden = r.count === 0;
};

views.chat = async function () { $('c-q').focus(); };

async function ask(q) {
	const log = $('c-log');
	log.appendChild(el('div', 'q', q));
	const a = el('div', 'a', '');
	a.dataset.state = 'streaming';
	log.appendChild(a);
	try {
		const r = await fetch('/api/chat', {
			method: 'POST', credentials: 'same-origin',
			headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
			body: JSON.stringify({ question: q }),
		});
		if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error || 'HTTP ' + r.status);
		const rd = r.body.getReader();
		const dec = new TextDecoder();
		let buf = '', ended = false;
		for (;;) {
			const { value, done } = await rd.read();
			if (done) break;
			buf += dec.decode(value, { stream: true });
			let k;
			while ((k = buf.indexOf('\n\n')) >= 0) {
				const ev = buf.slice(0, k);
				buf = buf.slice(k + 2);
				let name = 'message', data = '';
				for (const line of ev.split('\n')) {
					if (line.startsWith('event: ')) name = line.slice(7);
					else if (line.startsWith('data: ')) data += line.slice(6);
				}
				if (!data) continue;
				const d = JSON.parse(data);
				if (name === 'text') { a.textContent += d.text; a.dataset.chunks = String(+(a.dataset.chunks || 0) + 1); }
				else if (name === 'error') { a.classList.add('err'); a.textContent += (a.textContent ? '\n' : '') + d.error; }
				else if (name === 'done') ended = true;
			}
		}
		if (!ended) throw new Error('the answer was cut off');
		a.dataset.state = 'done';
	} catch (e) {
		a.classList.add('err');
		a.textContent += (a.textContent ? '\n' : '') + 'The agent cannot answer: ' + e.message;
		a.dataset.state = 'failed';
	}
}

/* ---- the frame ---- */

function shown(view) {
	const recs = status.records || {};
	const any = (...k) => k.some((x) => recs[x]);
	switch (view) {
	case 'metrics': return status.metric_series > 0;
	case 'logs': return any('log');
	case 'resilience': return any('score', 'chaos');
	case 'performance': return any('perf_summary', 'comparison');
	case 'incidents': return any('finding', 'incident');
	default: return true;
	}
}

async function show() {
	let view = location.hash.slice(1) || 'overview';
	if (!views[view] || !shown(view)) view = 'overview';
	for (const a of document.querySelectorAll('nav a')) a.classList.toggle('on', a.dataset.view === view);
	for (const s of document.querySelectorAll('main section')) s.hidden = s.dataset.view !== view;
	document.body.dataset.view = view;
	document.body.dataset.ready = '';
	try {
		await views[view]();
		problem('');
	} catch (e) {
		problem(view + ': ' + e.message);
	}
	document.body.dataset.ready = view;
}

async function refreshStatus() {
	status = await api('/api/status');
	$('project').textContent = status.project || 'blissful-infra';
	document.title = (status.project || 'project') + ' · blissful-infra';
	for (const a of document.querySelectorAll('nav a')) a.hidden = !shown(a.dataset.view);
}

async function start() {
	try {
		token = (await api('/api/session')).token;
		await refreshStatus();
	} catch (e) {
		problem('The dashboard cannot reach its server: ' + e.message);
		document.body.dataset.ready = 'error';
		return;
	}
	window.addEventListener('hashchange', show);
	$('m-service').addEventListener('change', show);
	$('m-window').addEventListener('change', show);
	$('l-form').addEventListener('submit', (e) => { e.preventDefault(); show(); });
	$('l-tail').addEventListener('change', tail);
	$('c-form').addEventListener('submit', (e) => {
		e.preventDefault();
		const q = $('c-q').value.trim();
		if (q) { $('c-q').value = ''; ask(q); }
	});
	await show();
	/* The overview and the list of views follow the store. */
	setInterval(async () => {
		try { await refreshStatus(); } catch (e) { return; }
		if (document.body.dataset.view === 'overview') show();
	}, 15000);
}

start();
