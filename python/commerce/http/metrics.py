"""Prometheus metrics of this worker: requests by route and status, and a latency histogram per route.

Each worker counts its own requests (label `worker`, its pid); a scrape through the load balancer sees one
worker at a time, so scrape workers directly or sum over `worker` in PromQL."""

import os
from bisect import bisect_left
from collections import defaultdict

BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.pid = str(os.getpid())
        self.requests: defaultdict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: defaultdict[tuple[str, str], float] = defaultdict(float)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests[(method, route, status)] += 1
        self.buckets[(method, route)][bisect_left(BUCKETS, seconds)] += 1  # the first bound >= seconds, else +Inf
        self.sums[(method, route)] += seconds

    def render(self) -> bytes:
        w = self.pid
        lines = [
            "# HELP commerce_http_requests_total HTTP requests by route and status.",
            "# TYPE commerce_http_requests_total counter",
        ]
        for (method, route, status), n in sorted(self.requests.items()):
            lines.append(
                f'commerce_http_requests_total{{worker="{w}",method="{method}",route="{route}",status="{status}"}} {n}'
            )
        lines += [
            "# HELP commerce_http_request_duration_seconds Time from routing to the response, per route.",
            "# TYPE commerce_http_request_duration_seconds histogram",
        ]
        for (method, route), counts in sorted(self.buckets.items()):
            labels = f'worker="{w}",method="{method}",route="{route}"'
            running = 0
            for bound, n in zip((*BUCKETS, float("inf")), counts, strict=True):
                running += n
                le = "+Inf" if bound == float("inf") else repr(bound)
                lines.append(f'commerce_http_request_duration_seconds_bucket{{{labels},le="{le}"}} {running}')
            lines.append(f"commerce_http_request_duration_seconds_sum{{{labels}}} {self.sums[(method, route)]}")
            lines.append(f"commerce_http_request_duration_seconds_count{{{labels}}} {running}")
        return ("\n".join(lines) + "\n").encode()
