/* dashboard-browser.js URL ARTIFACTS [QUESTION]: drive the dashboard in
 * headless Chromium (Debian's, by puppeteer-core) and print what it saw as
 * one JSON object, for tests/integration/0142-dashboard-browser.t and the
 * bench.
 *
 * Opens URL (the one `blissful-infra dashboard` prints, with ?token=),
 * waits for each view the page lists to be drawn (body[data-ready=VIEW]),
 * saves a screenshot of each in ARTIFACTS, and reports: the console errors
 * and failed requests; the bytes of the first load (every response, as
 * Chromium received them); the points each metrics chart drew; the log
 * list's length before and after a filter; the agent's answer to QUESTION
 * and in how many pieces it came; what the resilience, performance and
 * incidents views show; whether the first alert's Acknowledge button did
 * it; with BI_TAIL_LINE (a log record that passes the filter), whether the
 * live tail shows it once bi-store puts it; and whether a narrow window
 * (375 px) scrolls sideways. Chromium may reach 127.0.0.1 only.
 * CHROMIUM and BI_NODE_MODULES (where puppeteer-core is) come from the
 * environment. */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const puppeteer = require(path.join(process.env.BI_NODE_MODULES, 'puppeteer-core'));

const [url, artifacts, question] = process.argv.slice(2);
const out = { console_errors: [], failed: [], views: [], shots: [] };

async function ready(page, view) {
	await page.waitForFunction((v) => document.body.dataset.ready === v, { timeout: 20000 }, view);
}

async function main() {
	const args = ['--headless=new', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
		'--disable-background-networking', '--disable-component-update', '--disable-sync',
		'--disable-extensions', '--disable-default-apps', '--disable-dev-shm-usage',
		'--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'];
	if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bi-chromium-'));
	const browser = await puppeteer.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args, userDataDir: profile,
	});
	try {
		const page = await browser.newPage();
		await page.setViewport({ width: 1200, height: 900 });
		page.on('console', (m) => { if (m.type() === 'error') out.console_errors.push(m.text()); });
		page.on('pageerror', (e) => out.console_errors.push(String(e)));
		page.on('requestfailed', (r) => {
			/* An event stream the page closes on purpose is no failure. */
			if (!/\/stream/.test(r.url())) out.failed.push(r.url() + ' ' + (r.failure() || {}).errorText );
		});
		let bytes = 0;
		const cdp = await page.createCDPSession();
		await cdp.send('Network.enable');
		cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
		await page.goto(url, { waitUntil: 'load' });
		await ready(page, 'overview');
		out.first_load_bytes = bytes;
		out.url_after = page.url();
		out.views = await page.$$eval('nav a', (as) => as.filter((a) => !a.hidden).map((a) => a.dataset.view));

		for (const v of out.views) {
			await page.evaluate((x) => { location.hash = x; }, v);
			await ready(page, v);
			if (v === 'overview') {
				out.services = await page.$$eval('#ov-services tbody tr', (rs) =>
					rs.map((r) => r.cells[0].textContent + ' ' + r.cells[1].textContent));
				const ack = await page.$('#ov-alerts button');
				if (ack) {
					await ack.click();
					await page.waitForFunction(() => !document.querySelector('#ov-alerts button') ||
						document.getElementById('problem').textContent, { timeout: 10000 });
					out.acked = await page.$$eval('#ov-alerts .meta', (m) => m.map((x) => x.textContent));
				}
			}
			if (v === 'resilience') {
				out.resilience = await page.evaluate(() => ({
					score: document.querySelector('#r-cards .card b').textContent,
					scenarios: [...document.querySelectorAll('#r-scen tbody tr')].map((r) => r.cells[0].textContent + ' ' + r.cells[1].textContent),
					gaps: document.querySelectorAll('#r-gaps li').length,
					experiments: document.querySelectorAll('#r-chaos tbody tr').length,
					trend_points: +document.getElementById('r-trend').dataset.points,
				}));
			}
			if (v === 'performance') {
				out.performance = await page.evaluate(() => ({
					runs: document.querySelectorAll('#p-runs tbody tr').length,
					comparisons: [...document.querySelectorAll('#p-cmp tbody tr')].map((r) => r.cells[1].textContent + ' ' + r.cells[5].textContent),
				}));
			}
			if (v === 'pipeline') {
				out.pipeline = await page.evaluate(() => ({
					empty: document.getElementById('pl-empty').offsetParent !== null,
					runs: [...document.querySelectorAll('#pl-runs tbody tr')].map((r) =>
						[...r.cells].filter((c, i) => i !== 0 && i !== 5).map((c) => c.textContent).join(' | ')),
					table: document.getElementById('pl-list').offsetParent !== null,
				}));
			}
			if (v === 'incidents') {
				out.incidents = await page.$$eval('#i-list .incident', (is) => is.map((i) => i.textContent));
			}
			if (v === 'metrics') {
				out.charts = await page.$$eval('#m-charts canvas', (cs) =>
					cs.map((c) => ({ figure: c.dataset.figure, points: +c.dataset.points })));
			}
			if (v === 'logs') {
				out.logs_all = +(await page.$eval('#l-list', (l) => l.childNodes.length));
				await page.select('#l-level', 'error');
				await page.type('#l-q', 'refused');
				await page.click('#l-form button[type=submit]');
				await page.waitForFunction(() => document.body.dataset.ready === 'logs' &&
					document.getElementById('l-q').value === 'refused', { timeout: 20000 });
				await ready(page, 'logs');
				out.logs_filtered = await page.$$eval('#l-list li', (ls) => ls.map((l) => l.textContent));
				if (process.env.BI_TAIL_LINE) {
					await page.click('#l-tail');
					/* The stream goes on from the newest record when it opens. */
					await page.waitForSelector('#l-list[data-tail=open]', { timeout: 10000 });
					execFileSync('bi-store', ['put'], { input: process.env.BI_TAIL_LINE + '\n' });
					const msg = JSON.parse(process.env.BI_TAIL_LINE).msg;
					await page.waitForFunction((m) => [...document.querySelectorAll('#l-list li')]
						.some((l) => l.textContent.endsWith(m)), { timeout: 10000 }, msg);
					out.tailed = await page.$$eval('#l-list li', (ls) => ls.map((l) => l.textContent).pop());
					await page.click('#l-tail');
				}
			}
			if (v === 'chat' && question) {
				await page.type('#c-q', question);
				await page.click('#c-form button[type=submit]');
				await page.waitForSelector('#c-log .a[data-state=done], #c-log .a[data-state=failed]', { timeout: 30000 });
				out.chat = await page.$eval('#c-log .a', (a) => ({ text: a.textContent, chunks: +(a.dataset.chunks || 0), state: a.dataset.state }));
				/* Chromium cancels a streamed fetch whose body the page read
				 * to its end before the loader's own completion came
				 * (canceled, ERR_ABORTED): no failure once the page saw
				 * the server's last event ("done"). */
				if (out.chat.state === 'done')
					out.failed = out.failed.filter((f) => !/\/api\/chat net::ERR_ABORTED$/.test(f));
			}
			const shot = path.join(artifacts, `dashboard-${v}.png`);
			await page.screenshot({ path: shot, fullPage: true });
			out.shots.push(shot);
		}
		await page.setViewport({ width: 375, height: 800 });
		await page.evaluate(() => { location.hash = 'overview'; });
		await ready(page, 'overview');
		out.narrow_overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		const shot = path.join(artifacts, 'dashboard-narrow.png');
		await page.screenshot({ path: shot, fullPage: true });
		out.shots.push(shot);
	} finally {
		await browser.close();
		fs.rmSync(profile, { recursive: true, force: true });
	}
	process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
	out.fatal = String(e && e.stack || e);
	process.stdout.write(JSON.stringify(out) + '\n');
	process.exit(1);
});
