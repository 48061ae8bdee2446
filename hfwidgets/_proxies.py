"""Proxy settings from the environment, checked alike for every request the package sends.

httpx reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (upper or lower
case) itself, for the Client's connections (`_connections`) and the media fetch
(`_fetch`) alike. Before their first request both refuse a setting the transport
cannot use (an unknown scheme, SOCKS without `pip install "httpx[socks]"`, SOCKS on
aiohttp) with a `ValidationError` naming the variable and the scheme, never the
value (a proxy URL may hold credentials).
"""

from __future__ import annotations

import importlib.util
import os
from typing import Final

from ._errors import ValidationError

__all__ = ["PROXY_VARIABLES", "check_proxy_environment", "proxy_configured", "proxy_refused"]

PROXY_VARIABLES: Final = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def proxy_configured() -> bool:
    """True when a proxy variable is set (httpx will send through it)."""
    return any(os.environ.get(variable) for variable in PROXY_VARIABLES)


def check_proxy_environment(transport: str = "httpx") -> None:
    """Refuse proxy settings `transport` cannot use, naming the variable (never its credentials)."""
    schemes = ("http", "https") if transport == "aiohttp" else ("http", "https", "socks5", "socks5h")
    for variable in PROXY_VARIABLES:
        value = os.environ.get(variable)
        if not value:
            continue
        scheme = value.split("://", 1)[0].lower() if "://" in value else "http"  # httpx assumes http
        shown = f"{scheme}://..."
        if scheme not in schemes:
            raise ValidationError(
                variable,
                shown,
                f"a proxy URL with a scheme {transport} supports ({', '.join(s + '://' for s in schemes)})",
                hint=f"fix or unset {variable}",
            )
        if scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
            raise ValidationError(
                variable,
                shown,
                "a proxy this installation can use",
                hint=f'SOCKS proxies need pip install "httpx[socks]"; or unset {variable}',
            )


def proxy_refused(error: BaseException) -> ValidationError:
    """httpx refused the proxy settings when making a client (what `check_proxy_environment` did
    not foresee); the error's type only, since its text may quote the proxy URL."""
    return ValidationError(
        "proxy environment",
        None,
        "proxy settings httpx can use",
        hint=f"httpx refused them ({type(error).__name__}): fix or unset the proxy variables",
    )
