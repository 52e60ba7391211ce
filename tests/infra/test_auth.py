"""Auth stack: the user pool, the api scope and the SPA client."""

from __future__ import annotations

from aws_cdk.assertions import Match

from tests.synth import SynthesizedStage


def test_user_pool_is_email_only_strong_and_retained(all_stages: list[SynthesizedStage]) -> None:
    for stage in all_stages:
        template = stage.template("Auth")
        template.has_resource(
            "AWS::Cognito::UserPool",
            {
                "DeletionPolicy": "RetainExceptOnCreate",
                "UpdateReplacePolicy": "Retain",
                "Properties": Match.object_like(
                    {
                        "UsernameAttributes": ["email"],
                        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                        "MfaConfiguration": "OPTIONAL",
                        "AccountRecoverySetting": {
                            "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
                        },
                        "Policies": {
                            "PasswordPolicy": {
                                "MinimumLength": 12,
                                "RequireLowercase": True,
                                "RequireUppercase": True,
                                "RequireNumbers": True,
                                "RequireSymbols": True,
                                "TemporaryPasswordValidityDays": 3,
                            }
                        },
                    }
                ),
            },
        )


def test_resource_server_defines_the_api_scope(dev: SynthesizedStage) -> None:
    dev.template("Auth").has_resource_properties(
        "AWS::Cognito::UserPoolResourceServer",
        {"Identifier": "taskly", "Scopes": [Match.object_like({"ScopeName": "api"})]},
    )
    assert dev.stacks.auth.api_scope_name == "taskly/api"


def test_spa_client_uses_code_flow_without_a_secret(dev: SynthesizedStage) -> None:
    dev.template("Auth").has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": False,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": Match.array_with(
                [
                    "openid",
                    {
                        "Fn::Join": [
                            "",
                            [{"Ref": Match.string_like_regexp("ApiResourceServer")}, "/api"],
                        ]
                    },
                ]
            ),
            "CallbackURLs": Match.array_with(["http://localhost:5173/callback"]),
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
        },
    )


def test_prod_callbacks_are_https_only(prod: SynthesizedStage) -> None:
    client = prod.template("Auth").find_resources("AWS::Cognito::UserPoolClient")
    (properties,) = (c["Properties"] for c in client.values())
    assert all(url.startswith("https://") for url in properties["CallbackURLs"])
