// toxiproxy-client.js API UPSTREAM: drive bi-proxy with the npm package
// toxiproxy-node-client, as a toxiproxy user would: create a proxy, add a
// latency toxic, and time a request through it. Prints JSON.
const { Toxiproxy } = require("toxiproxy-node-client");

async function timed(url) {
    const t0 = Date.now();
    const res = await fetch(url);
    await res.text();
    return Date.now() - t0;
}

(async () => {
    const [api, upstream] = process.argv.slice(2);
    const toxiproxy = new Toxiproxy(api);
    const proxy = await toxiproxy.createProxy({ name: "node-client", listen: "127.0.0.1:0", upstream });
    const url = `http://${proxy.listen}/hello`;
    const before = await timed(url);
    const toxic = await proxy.addToxic({
        name: "slow", type: "latency", stream: "downstream", toxicity: 1,
        attributes: { latency: 300, jitter: 0 },
    });
    const after = await timed(url);
    const all = await toxiproxy.getAll();
    await toxic.remove();
    const removed = await timed(url);
    await proxy.remove();
    console.log(JSON.stringify({ listen: proxy.listen, toxic: toxic.name, proxies: Object.keys(all),
                                 before, after, removed }));
})().catch((e) => { console.error(e.message || e); process.exit(1); });
