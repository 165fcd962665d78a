"""What the server's input checks and limits cost, against plain ``json`` in the same run.

- decoding a 2 MB batch of 20,000 creates: ``wire.loads`` (strict JSON, depth, numbers, text)
  against ``json.loads`` of the same bytes (the floor);
- encoding 10,000 query rows: ``wire.dumps`` (no NaN, size limit) against ``json.dumps``;
- checking a 1,000-term query before SQL (text scan and shape) against parsing it.

    python bench/wire_limits.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from clapboard_server import limits, wire
from clapboard_server.query import parser, shape


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--repeat", type=int, default=20)
    repeat = arguments.parse_args().repeat
    settings = limits.DEFAULT

    batch = json.dumps([
        {"action": "create", "entity_type": "Task",
         "entity_data": {"name": f"task {index} é", "bid": 1.5, "priority_id": index, "metadata": {"a": [1, 2]}}}
        for index in range(20_000)
    ]).encode()
    floor = best(lambda: json.loads(batch), repeat)
    checked = best(lambda: wire.loads(batch, settings), repeat)
    print(f"decode {len(batch) / 1e6:.1f} MB batch   json.loads {floor * 1000:7.1f} ms   "
          f"wire.loads {checked * 1000:7.1f} ms   {checked / floor:.2f}x")

    rows = [{"action": "query", "data": [{"__entity_type__": "Task", "id": f"{index:032x}", "name": f"t{index}",
                                          "bid": index / 3} for index in range(10_000)],
             "metadata": {"next": {"offset": None}}}]
    floor = best(lambda: json.dumps(rows), repeat)
    checked = best(lambda: wire.dumps(rows, settings), repeat)
    print(f"encode 10,000 rows       json.dumps {floor * 1000:7.1f} ms   "
          f"wire.dumps {checked * 1000:7.1f} ms   {checked / floor:.2f}x")

    expression = "select id from Task where " + " or ".join(f'name is "n{index}"' for index in range(1000))
    floor = best(lambda: parser._run(parser._QUERY, expression), max(3, repeat // 4))
    checks = best(lambda: (limits.check_query_text(expression, settings),
                           shape.check_query(parser.parse(expression), settings)), repeat)
    print(f"1,000-term query         parse      {floor * 1000:7.1f} ms   "
          f"checks (cached parse) {checks * 1000:5.2f} ms   {checks / floor:.3f}x of a parse")


if __name__ == "__main__":
    main()
