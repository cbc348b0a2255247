"""index: one evaluation round of 100, 1,000 and 10,000 units × 35 indicators (``index_bench.run``).

Headline: seconds for 10,000 units. Anchor: the 100-unit round scaled linearly to 10,000 units, so the ratio is
the linearity (1.0 = exactly linear; above 1 = worse than linear).

    python bench/index_run.py [--sizes 100,1000,10000] [--json]
"""

from __future__ import annotations

import time

from common import Result, emit, parser
from index_bench import run as rounds


def run(sizes: tuple[int, ...] = (100, 1000, 10000)) -> Result:
    """Time the rounds; compare the largest with the smallest scaled up."""
    cpu = time.process_time()
    rows = rounds(sizes)
    cpu = time.process_time() - cpu
    small, large = rows[0], rows[-1]
    seconds = float(large["seconds"])  # type: ignore[arg-type]
    scaled = float(small["seconds"]) * int(large["units"]) / int(small["units"])  # type: ignore[arg-type]
    ratio = seconds / scaled
    details = {f"seconds_{row['units']}_units": row["seconds"] for row in rows}
    details |= {f"us_per_indicator_{row['units']}_units": row["per_indicator_us"] for row in rows}
    details["indicator_evaluations_per_cpu_s_incl_setup"] = sum(int(r["units"]) * 35 for r in rows) / cpu  # type: ignore[arg-type]
    return Result(
        name="index",
        value=seconds,
        unit=f"s for {large['units']} units x 35 indicators",
        anchor=f"{small['units']}-unit round scaled linearly",
        anchor_value=scaled,
        ratio=ratio,
        goal="< 1 s for 10,000 units, linear (ratio <= 1.5)",
        met=seconds < 1.0 and ratio <= 1.5,
        details=details,
    )


if __name__ == "__main__":
    p = parser(__doc__)
    p.add_argument("--sizes", default="100,1000,10000")
    args = p.parse_args()
    emit(run(tuple(int(n) for n in args.sizes.split(","))), args.json)
