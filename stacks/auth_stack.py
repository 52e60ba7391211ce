"""Auth stack: the Cognito user pool that issues the API's access tokens."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from cdk_constructs.api_user_pool import ApiUserPool
from stacks.config import ACCOUNT_PLACEHOLDER, AuthConfig


class AuthStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: AuthConfig,
        protect_data: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        pool = ApiUserPool(
            self,
            "Users",
            self_sign_up=settings.self_sign_up,
            callback_urls=settings.callback_urls,
            logout_urls=settings.logout_urls,
            # Without an account at synth, CloudFormation fills it in.
            domain_prefix=settings.domain_prefix.replace(ACCOUNT_PLACEHOLDER, Aws.ACCOUNT_ID),
            protect_data=protect_data,
        )
        self.user_pool: cognito.IUserPool = pool.user_pool
        self.spa_client: cognito.IUserPoolClient = pool.spa_client
        self.api_scope_name: str = pool.scope_name
