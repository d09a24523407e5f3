// crash: a payout job in Node.js that reads a field of a customer an order
// may not have; the TypeError is not caught, and Node exits 1.
'use strict';
const orders = [];
for (let i = 1; i <= 40; i++)
  orders.push({ id: i, amount: (i * 37) % 100, customer: i === 23 ? undefined : { id: 1000 + i, iban: 'DE' + i } });
let i = 0;
function payout(order) {
  return { to: order.customer.iban, amount: order.amount };
}
const timer = setInterval(() => {
  const o = orders[i++];
  if (!o) { clearInterval(timer); return; }
  const p = payout(o);
  console.log(JSON.stringify({ level: 'info', message: 'payout queued', order: o.id, amount: p.amount, timestamp: new Date().toISOString() }));
}, 100);
