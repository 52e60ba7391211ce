"""Cognito user pool with an API resource server and a PKCE app client for the SPA."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from cdk_constructs.nag import acknowledge
from cdk_constructs.retention import removal_policy

RESOURCE_SERVER_ID = "taskly"
API_SCOPE_NAME = "api"


class ApiUserPool(Construct):
    """Email sign-in users, and access tokens that carry the ``taskly/api`` scope.

    The HTTP API requires that scope, which only access tokens carry: an ID token from
    the same pool is rejected (JWT authorizers accept ID tokens when no scope is required).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        self_sign_up: bool,
        callback_urls: tuple[str, ...],
        logout_urls: tuple[str, ...],
        domain_prefix: str,
        protect_data: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        # No standard_attributes/custom_attributes: a pool that declares a Schema fails later
        # updates with "Invalid AttributeDataType input" (aws/aws-cdk#8585).
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            self_sign_up_enabled=self_sign_up,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=protect_data,
            # Users cannot be re-created with their passwords: never delete a pool with them.
            removal_policy=removal_policy(keep=True),
        )
        self.api_scope = cognito.ResourceServerScope(
            scope_name=API_SCOPE_NAME, scope_description="Call the Taskly API"
        )
        resource_server = self.user_pool.add_resource_server(
            "ApiResourceServer", identifier=RESOURCE_SERVER_ID, scopes=[self.api_scope]
        )
        self.domain = self.user_pool.add_domain(
            "HostedDomain",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=domain_prefix),
        )
        self.spa_client = self.user_pool.add_client(
            "SpaClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.resource_server(resource_server, self.api_scope),
                ],
                callback_urls=list(callback_urls),
                logout_urls=list(logout_urls),
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
        )
        self.scope_name = f"{RESOURCE_SERVER_ID}/{API_SCOPE_NAME}"

        acknowledge(
            self.user_pool,
            {
                "AwsSolutions-COG2": "MFA is optional by product decision: users opt in to TOTP; "
                "forcing it would lock out the migrated legacy accounts on first sign-in",
                "AwsSolutions-COG8": "The Plus feature plan is billed per monthly active user; "
                "its threat protection is not needed while MFA and strong passwords apply",
            },
        )
