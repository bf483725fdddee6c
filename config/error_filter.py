"""Keep connection strings, their passwords and POST values off error pages and error
e-mails.

POST values are never shown: every one is replaced by stars, with DEBUG on too.

Django's SafeExceptionReporterFilter hides settings whose *name* looks secret (KEY, PASS…),
but the secrets here live in URLs: `Q_CLUSTER["redis"]`, `DATABASES`, `OPS_DB_URL`, and the
`Q_REDIS_URL` / `DATABASE_URL` environment variables that runserver copies into
request.META. So names that hold connection strings are hidden too, and any
`scheme://user:password@` left in a value (a local variable, an exception message) has its
password replaced.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.regex_helper import _lazy_re_compile
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

SUBSTITUTE = SafeExceptionReporterFilter.cleansed_substitute
# `redis://:pw@host`, `postgres://user:pw@host`: keep the scheme and user, drop the password.
URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]*):[^\s@'\"]*@", re.I)


def scrub(text: str) -> str:
    return URL_PASSWORD.sub(lambda m: f"{m['head']}:{SUBSTITUTE}@", text)


class ConnectionStringFilter(SafeExceptionReporterFilter):
    hidden_settings = _lazy_re_compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|REDIS|DATABASE|DSN",
        flags=re.I,
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if not isinstance(cleansed, str):
            return cleansed
        # str() because lazy settings pass isinstance(str); unchanged values keep their type.
        scrubbed = scrub(str(cleansed))
        return cleansed if scrubbed == str(cleansed) else scrubbed

    def get_post_parameters(self, request: Any) -> Any:
        # Every POST value, in every mode: Django hides only views marked
        # @sensitive_post_parameters and shows everything with DEBUG on, so a password typed
        # into any form (a login, an upload's fields) would be on the page or in the mail.
        if request is None:
            return {}
        cleansed = request.POST.copy()
        for name in cleansed:
            cleansed.setlist(name, [self.cleansed_substitute] * len(cleansed.getlist(name)))
        return cleansed

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        # Django only cleanses locals marked @sensitive_variables, and only with DEBUG off;
        # a local named `redis_url` or holding Q_CLUSTER is hidden here in every mode.
        items = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self._cleanse_local(name, value)) for name, value in items]

    def _cleanse_local(self, name: str, value: Any) -> Any:
        if isinstance(value, str | dict | list | tuple):
            return self.cleanse_setting(name, value)
        return value


class ConnectionStringReporter(ExceptionReporter):
    """Scrubs what the filter cannot see: exception messages and the repr of local objects."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        for key in ("exception_value", "exception_notes"):
            if isinstance(data.get(key), str):
                data[key] = scrub(data[key])
        for frame in data.get("frames", []):
            scrub_frame(frame)
        return data


def scrub_frame(frame: dict[str, Any]) -> None:
    if "vars" in frame:
        frame["vars"] = [(name, scrub(str(text))) for name, text in frame["vars"]]
    # Source lines too: a connection string written into code is shown with its context.
    for key in ("pre_context", "post_context"):
        if frame.get(key):
            frame[key] = [scrub(line) for line in frame[key]]
    for key in ("context_line", "exc_cause", "exc_context"):
        if frame.get(key) is not None:
            frame[key] = scrub(str(frame[key]))
