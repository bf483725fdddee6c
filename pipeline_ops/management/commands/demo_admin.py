from __future__ import annotations

import os

from django.contrib.auth import get_user_model

from pipeline_ops.pipeline.cli import PipelineCommand


class Command(PipelineCommand):
    help = "Create (or reset) the demo superuser and print its login. For local demos only."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default=os.environ.get("DEMO_ADMIN_USER", "admin"))
        parser.add_argument(
            "--password", default=os.environ.get("DEMO_ADMIN_PASSWORD", "atlas-demo")
        )

    def handle(self, *, username: str, password: str, **_) -> None:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"Demo admin login: {username} / {password}")
