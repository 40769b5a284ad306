"""Provider signatures (X-Twilio-Signature) on every webhook request.

The provider signs the absolute URL it requested plus the form parameters.
Behind a proxy the URL the server sees differs from the public one, so both
are tried: the configured public webhook URL with the request's path and query,
and the URL as received. Either way the auth token is needed to sign.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from twilio.request_validator import RequestValidator


class FormParams(dict):  # type: ignore[type-arg]
    """Form parameters with all their values, as RequestValidator reads them."""

    def getlist(self, name: str) -> list[str]:
        return list(self[name])


class SignatureCheck:
    def __init__(self, auth_token: str, enabled: bool = True) -> None:
        self._validator = RequestValidator(auth_token)
        self.enabled = enabled

    def valid(
        self, urls: Iterable[str], params: Mapping[str, Sequence[str]], signature: str
    ) -> bool:
        if not self.enabled:
            return True
        if not signature:
            return False
        form = FormParams({k: list(v) for k, v in params.items()})
        return any(self._validator.validate(url, form, signature) for url in dict.fromkeys(urls))

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """The signature the provider would send (for the simulator and tests)."""
        return str(self._validator.compute_signature(url, dict(params)))
