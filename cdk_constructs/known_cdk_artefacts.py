"""Acknowledge, in one place, linter findings that CDK itself produces in every template."""

from __future__ import annotations

import jsii
from aws_cdk import CfnResource, IAspect
from constructs import IConstruct

from cdk_constructs.nag import acknowledge_lint

# CDK lists a function's execution role in DependsOn although Role: Fn::GetAtt already orders
# them (cfn-lint W3005). It does so for its own providers too (custom resources, log
# retention, bucket auto-delete), so the finding is acknowledged on every function here
# instead of construct by construct.
_REDUNDANT_ROLE_DEPENDENCY = (
    "CDK adds the execution role to DependsOn beside the Role GetAtt; the duplicate "
    "ordering is harmless and comes from CDK's function and provider code, not ours"
)


@jsii.implements(IAspect)
class AcknowledgeKnownCdkArtefacts:
    """Aspect: acknowledge W3005 on every Lambda function that depends on its own role."""

    def visit(self, node: IConstruct) -> None:
        if (
            isinstance(node, CfnResource)
            and node.cfn_resource_type == "AWS::Lambda::Function"
            and any(
                isinstance(dep, CfnResource) and dep.cfn_resource_type == "AWS::IAM::Role"
                for dep in node.obtain_dependencies()
            )
        ):
            acknowledge_lint(node, {"W3005": _REDUNDANT_ROLE_DEPENDENCY})
