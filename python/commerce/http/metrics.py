"""Prometheus metrics of this worker: requests by route and status, and a latency histogram per route.

Each worker counts its own requests (label `worker`, its pid); a scrape through the load balancer sees one
worker at a time, so scrape workers directly or sum over `worker` in PromQL."""

import os
from bisect import bisect_left

BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _Series:
    """One route's (and method's) counts: requests by status, latencies by bucket, their sum."""

    __slots__ = ("buckets", "statuses", "sum")

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.sum = 0.0


class Metrics:
    def __init__(self) -> None:
        self.pid = str(os.getpid())
        self.series: dict[tuple[str, str], _Series] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self.series.get((method, route))
        if series is None:
            series = self.series[(method, route)] = _Series()
        series.statuses[status] = series.statuses.get(status, 0) + 1
        series.buckets[bisect_left(BUCKETS, seconds)] += 1  # the first bound >= seconds, else +Inf
        series.sum += seconds

    def render(self) -> bytes:
        w = self.pid
        lines = [
            "# HELP commerce_http_requests_total HTTP requests by route and status.",
            "# TYPE commerce_http_requests_total counter",
        ]
        requests = ((key, status, n) for key, series in self.series.items() for status, n in series.statuses.items())
        for (method, route), status, n in sorted(requests):
            lines.append(
                f'commerce_http_requests_total{{worker="{w}",method="{method}",route="{route}",status="{status}"}} {n}'
            )
        lines += [
            "# HELP commerce_http_request_duration_seconds Time from routing to the response, per route.",
            "# TYPE commerce_http_request_duration_seconds histogram",
        ]
        for (method, route), series in sorted(self.series.items(), key=lambda item: item[0]):
            labels = f'worker="{w}",method="{method}",route="{route}"'
            running = 0
            for bound, n in zip((*BUCKETS, float("inf")), series.buckets, strict=True):
                running += n
                le = "+Inf" if bound == float("inf") else repr(bound)
                lines.append(f'commerce_http_request_duration_seconds_bucket{{{labels},le="{le}"}} {running}')
            lines.append(f"commerce_http_request_duration_seconds_sum{{{labels}}} {series.sum}")
            lines.append(f"commerce_http_request_duration_seconds_count{{{labels}}} {running}")
        return ("\n".join(lines) + "\n").encode()
