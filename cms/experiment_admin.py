"""The experiment's results in the Wagtail admin, and the staff actions beside them:
start, stop and promote a winner (each a CSRF-checked POST through the one service), and
the snippet form that keeps a started experiment's variants."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from wagtail.admin.forms import WagtailAdminModelForm

from core.exceptions import ApplicationError
from core.ids import parse_id
from experiments.models import SPLIT_LOCKED, Experiment
from experiments.selectors import experiment_results, sample_enough
from experiments.services import experiment_transition

from .services import experiment_promote


class ExperimentForm(WagtailAdminModelForm):
    """The snippet's form. Once started, no variant is removed: the split would move, and its
    visitors' exposures and conversions would go with it (the models refuse the other
    changes to the split, `Experiment.split_locked`)."""

    def clean(self):
        cleaned = super().clean()
        variants = self.formsets.get("variants")
        if (
            self.instance.pk
            and self.instance.split_locked
            and variants is not None
            and variants.is_valid()
            and variants.deleted_forms
        ):
            raise ValidationError(SPLIT_LOCKED)
        return cleaned


PERMISSION = "experiments.change_experiment"
URL_NAMESPACE = "wagtailsnippets_experiments_experiment"


def results_url(experiment_id: int) -> str:
    return reverse(f"{URL_NAMESPACE}:results", args=[experiment_id])


@require_GET
def results(request, pk):
    experiment = get_object_or_404(Experiment.objects.select_related("product"), pk=pk)
    rows = experiment_results(experiment=experiment)
    return render(
        request,
        "cms/admin/experiment_results.html",
        {
            "experiment": experiment,
            "rows": rows,
            "enough": sample_enough(rows),
            "can_change": request.user.has_perm(PERMISSION),
            "page_title": f"Results: {experiment.name}",
            "header_icon": "pick",
            "edit_url": reverse(f"{URL_NAMESPACE}:edit", args=[experiment.pk]),
        },
    )


ACTIONS = ("start", "stop", "promote")


@require_POST
def act(request, pk, action):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    if action not in ACTIONS:
        raise Http404("No such action.")
    experiment = get_object_or_404(Experiment, pk=pk)
    try:
        if action == "start":
            experiment_transition(experiment_id=pk, to_status=Experiment.Status.RUNNING)
            messages.success(request, f"“{experiment.name}” is running.")
        elif action == "stop":
            experiment_transition(experiment_id=pk, to_status=Experiment.Status.STOPPED)
            messages.success(
                request,
                f"“{experiment.name}” is stopped; every visitor sees the page as published.",
            )
        else:  # promote
            variant = experiment_promote(
                experiment_id=pk, variant_id=_variant_id(request), user=request.user
            )
            messages.success(
                request,
                f"“{experiment.name}” is stopped and its variant “{variant.name}” is published."
                if not variant.is_control
                else f"“{experiment.name}” is stopped; the page stays as published.",
            )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(results_url(pk))


def _variant_id(request) -> int:
    raw = request.POST.get("variant", "")
    return parse_id(raw) or 0
