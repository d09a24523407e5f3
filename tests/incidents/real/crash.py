"""crash: an order importer that dies on a record it cannot price. The
lookup's KeyError is caught and re-raised as a ValueError, so Python prints
a chained traceback and the process exits 1."""
import json
import logging
import sys
import time

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
PRICES = {"apple": 3, "pear": 4, "plum": 2}
ORDERS = [{"id": i, "item": ("apple", "pear", "plum")[i % 3], "qty": i % 5 + 1}
          for i in range(1, 30)]
ORDERS[17]["item"] = "quince"


def price(order):
    try:
        return PRICES[order["item"]] * order["qty"]
    except KeyError as e:
        raise ValueError("cannot price order %d" % order["id"]) from e


total = 0
for o in ORDERS:
    total += price(o)
    logging.info("imported order %s", json.dumps(o))
    time.sleep(0.2)
logging.info("imported all orders, total %d", total)
