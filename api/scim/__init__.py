"""SCIM 2.0 provisioning for identity providers (Okta, Entra ID)."""

__all__: list[str] = []
