from backoffice.smoke import (
    SMOKE_EMAIL,
    SmokeCommand,
    api_json,
    get,
    in_process_paid_order,
    local_path,
    session_ref,
    storefront_checkout,
)


class Command(SmokeCommand):
    help = (
        "Check a checkout end to end. --in-process: buy and pay a service of its own through "
        "the real views and the local simulated gateway, in a transaction that is rolled back. "
        "--base-url/--api-key: a deployment's health, payment observability and a checkout up "
        "to the hosted payment page, whose session is then expired."
    )

    def in_process(self, site, steps, options):
        number = in_process_paid_order(site, steps)
        steps(
            "the order is paid",
            self.order_status_is,
            site,
            number,
            ("processing", "active", "completed"),
        )
        steps("payment observability", self.operator_json, site, "/api/v1/payments/observability")

    def over_http(self, site, steps, options):
        steps("health check", lambda: get(site, "/healthz").expect(200))
        steps("payment observability", self.operator_json, site, "/api/v1/payments/observability")
        hosted = storefront_checkout(site, steps, catalog="/catalog/", email=options["email"])
        path = local_path(site, hosted)
        if path is not None:  # the simulated gateway's page is served by the site itself
            steps("hosted payment page", lambda: get(site, path).expect(200))
        ref = session_ref(hosted)
        expired = steps(
            "expire the session (operator API)",
            api_json,
            site,
            f"/api/v1/checkout/sessions/{ref}/expire",
            api_key=self.api_key,
            method="POST",
        )
        steps(
            "the order awaits payment", self.order_status_is, site, expired["order"], ("pending",)
        )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--email",
            default=SMOKE_EMAIL,
            help=f"buyer e-mail of the smoke order on a deployment (default {SMOKE_EMAIL})",
        )
