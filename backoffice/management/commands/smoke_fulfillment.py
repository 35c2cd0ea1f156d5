from backoffice.smoke import SmokeCommand, SmokeFailed, get, in_process_paid_order
from fulfillment.processor import process_due
from orders.models import Order

MAX_RUNS = 20  # the smoke service needs three


class Command(SmokeCommand):
    help = (
        "Check fulfillment. --in-process: a paid order of a service of its own runs through "
        "the processor and the sandbox adapters to completion, and the health and progress "
        "endpoints answer, in a transaction that is rolled back. --base-url/--api-key: a "
        "deployment's fulfillment health, metrics and order progress endpoints."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--order", help="on a deployment, also read this order's progress (number or id)"
        )

    def in_process(self, site, steps, options):
        number = in_process_paid_order(site, steps)
        order = Order.objects.get(number=number)
        runs = steps("processor runs the tasks to completion", self._complete, order)
        self.stdout.write(f"       ({runs} processor runs)")
        steps("fulfillment health", self.operator_json, site, "/api/v1/fulfillment/health")
        steps("fulfillment metrics", self.operator_json, site, "/api/v1/fulfillment/metrics")
        progress = steps("order progress", self.order_status_is, site, number, ("completed",))
        if progress.get("percent_complete") != 100:
            raise SmokeFailed(f"order {number} shows {progress.get('percent_complete')}% done")

    def over_http(self, site, steps, options):
        steps("health check", lambda: get(site, "/healthz").expect(200))
        steps("fulfillment health", self.operator_json, site, "/api/v1/fulfillment/health")
        steps("fulfillment metrics", self.operator_json, site, "/api/v1/fulfillment/metrics")
        if options["order"]:
            steps(
                "order progress",
                self.operator_json,
                site,
                f"/api/v1/orders/{options['order']}/progress",
            )
        else:  # no order named: the endpoint must still answer, and accept the key
            steps("order progress endpoint", self._progress_answers, site)

    @staticmethod
    def _complete(order: Order) -> int:
        for run in range(1, MAX_RUNS + 1):
            process_due(worker="smoke-check", order_id=order.pk)
            order.refresh_from_db(fields=["status"])
            if order.status == "completed":
                return run
            if order.status not in ("processing", "active"):
                raise SmokeFailed(f"order {order.number} went {order.status!r}")
        raise SmokeFailed(f"order {order.number} is still {order.status!r} after {MAX_RUNS} runs")

    def _progress_answers(self, site):
        answer = site.request("GET", "/api/v1/orders/0/progress", api_key=self.api_key)
        body = answer.expect(404).json()
        if body.get("error", {}).get("code") != "order_not_found":
            raise SmokeFailed(f"/api/v1/orders/0/progress answered {body}")
