"""Acknowledge, in one place, linter findings that CDK itself produces in every template."""

from __future__ import annotations

from aws_cdk import CfnResource
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from cdk_constructs.nag import acknowledge_checkov, acknowledge_lint

# CDK lists a function's execution role in DependsOn although Role: Fn::GetAtt already orders
# them (cfn-lint W3005). It does so for its own providers too (custom resources, log
# retention, bucket auto-delete), so the finding is acknowledged on every function here
# instead of construct by construct.
_REDUNDANT_ROLE_DEPENDENCY = (
    "CDK adds the execution role to DependsOn beside the Role GetAtt; the duplicate "
    "ordering is harmless and comes from CDK's function and provider code, not ours"
)

# CDK's singleton providers (default-SG restriction, bucket auto-delete) are Lambda functions
# CloudFormation calls synchronously a few times per deploy, outside our configuration.
_CDK_PROVIDER_CHECKOV_REASONS = {
    "CKV_AWS_115": "CDK's own custom-resource provider runs a few times per deploy; a "
    "concurrency reservation would only shrink the account pool",
    "CKV_AWS_116": "CDK's own custom-resource provider is invoked synchronously by "
    "CloudFormation, which reports its failures; a DLQ would never receive anything",
    "CKV_AWS_117": "CDK's own custom-resource provider calls only public AWS APIs during "
    "deploys and needs no VPC resource",
}
_CDK_PROVIDER_PATH_SUFFIX = "CustomResourceProvider/Handler"


def acknowledge_known_cdk_artefacts(scope: IConstruct) -> None:
    """Acknowledge what CDK renders into every function under ``scope``, and its providers'
    checks. Call it once, after every stack of the app is built.

    A Python ``IAspect`` would do the same, but jsii calls back into Python for every
    construct of the app (about 350 callbacks plus their property reads, measured in
    docs/synth-profile.md); one ``find_all`` and type checks on the Python side cost a
    handful of round trips. CDK creates its provider singletons when the construct that
    needs them is built, so nothing this looks for appears later, during synthesis; the
    cfn-lint gate (W3005 on every function) would show it if that ever changed.
    """
    for node in scope.node.find_all():
        if isinstance(node, lambda_.CfnFunction):
            # L2 functions add the role dependency at the construct level, rendered only at
            # synthesis, so it cannot be inspected here: every function gets the acknowledgment.
            acknowledge_lint(node, {"W3005": _REDUNDANT_ROLE_DEPENDENCY})
        elif type(node) is CfnResource and node.node.path.endswith(_CDK_PROVIDER_PATH_SUFFIX):
            # CDK's custom-resource providers are plain CfnResources of type
            # AWS::Lambda::Function (no CfnFunction class): matched by their fixed path.
            acknowledge_lint(node, {"W3005": _REDUNDANT_ROLE_DEPENDENCY})
            acknowledge_checkov(node, _CDK_PROVIDER_CHECKOV_REASONS)
