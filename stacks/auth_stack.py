"""Auth stack: the Cognito user pool that issues the API's access tokens."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from cdk_constructs.api_user_pool import ApiUserPool


class AuthStack(Stack):
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
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        pool = ApiUserPool(
            self,
            "Users",
            self_sign_up=self_sign_up,
            callback_urls=callback_urls,
            logout_urls=logout_urls,
            domain_prefix=domain_prefix,
            protect_data=protect_data,
        )
        self.user_pool: cognito.IUserPool = pool.user_pool
        self.spa_client: cognito.IUserPoolClient = pool.spa_client
        self.api_scope_name: str = pool.scope_name
