"""The Bundle proposals snippet: what the proposal job found, with its evidence, for staff to
accept (an inactive draft in the Bundles snippet, to edit and publish) or dismiss. Proposals
come only from the job, so nobody adds or deletes one here."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from wagtail.admin.panels import FieldPanel
from wagtail.admin.widgets import ListingButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.snippets import IndexView, InspectView, SnippetViewSet

from experiments import proposals
from experiments.exceptions import ProposalDecisionInvalid
from experiments.models import BundleProposal
from experiments.proposals import proposal_decide

Status = BundleProposal.Status
# The job's evidence, with the searches summed up in a line.
EVIDENCE = [name if name != "searches" else "searches_summary" for name in proposals.EVIDENCE]


class ProposalPermissionPolicy(ModelPermissionPolicy):
    """A proposal added by hand would have no evidence, and a deleted one would only be
    proposed again: staff dismiss instead."""

    def user_has_permission(self, user, action):
        return action not in ("add", "delete") and super().user_has_permission(user, action)


register_permission_policy(BundleProposal, ProposalPermissionPolicy(BundleProposal))


class ProposalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(Status.ACCEPTED, "Accept"), (Status.DISMISSED, "Dismiss")]
    )


class ProposalIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.status == Status.NEW:
            url = self.get_inspect_url(instance)
            buttons.append(ListingButton("Accept or dismiss", url=url, priority=5))
        return buttons


class ProposalDecideView(InspectView):
    """The evidence, and (for a new proposal) the accept and dismiss buttons."""

    page_title = "Bundle proposal"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_decide"] = self.object.status == Status.NEW and self.user_has_permission(
            "change"
        )
        return context

    def post(self, request, *args, **kwargs):
        if not self.user_has_permission("change"):
            raise PermissionDenied
        form = ProposalDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose to accept or to dismiss the proposal.")
            return redirect(request.path)
        try:
            proposal = proposal_decide(
                proposal_id=self.object.pk,
                to_status=form.cleaned_data["decision"],
                actor=request.user,
            )
        except ProposalDecisionInvalid as error:
            messages.error(request, error.message)
            return redirect(request.path)
        if proposal.status == Status.ACCEPTED:
            messages.success(
                request,
                f"Draft bundle “{proposal.bundle}” made. It stays inactive until you set its "
                "saving and activate it.",
            )
            return redirect("wagtailsnippets_catalog_bundle:edit", proposal.bundle_id)
        messages.success(request, f"Dismissed “{proposal}”: the job will not propose it again.")
        return redirect(self.index_url_name)


class BundleProposalViewSet(SnippetViewSet):
    model = BundleProposal
    icon = "resubmit"
    menu_label = "Bundle proposals"
    menu_order = 205
    add_to_admin_menu = True
    index_view_class = ProposalIndexView
    inspect_view_enabled = True
    inspect_view_class = ProposalDecideView
    inspect_template_name = "cms/bundle_proposal_inspect.html"
    inspect_view_fields = ["status", "product_a", "product_b", *EVIDENCE, "bundle", "decided_by"]
    copy_view_enabled = False
    list_display = [
        "__str__",
        "orders_together",
        "lift",
        "confidence",
        "searches_summary",
        "status",
    ]
    list_filter = ["status"]
    # Read only: the evidence is the job's; what staff change is the draft bundle.
    panels = [
        FieldPanel(name, read_only=True)
        for name in ["product_a", "product_b", *EVIDENCE]
        if name != "searches_summary"
    ] + [FieldPanel("searches", read_only=True)]

    def get_queryset(self, request):
        return BundleProposal.objects.select_related("product_a", "product_b")
