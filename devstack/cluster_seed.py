"""Create the load test's students (enrolled in the demo class) with one known password, in bulk.

`python -m devstack.cluster_seed --students 200` with the local settings (DEVSTACK), on the
cluster's database, after `seed_demo`. Hand-written rather than 200 `create_api_user` calls:
each of those is a process start and a password hash (~0.3 s of CPU); here one hash is
computed and shared, which is only acceptable because these are throwaway demo accounts.
"""

import argparse
import os

import django

STUDENT_PREFIX = "loadtest-student-"


def student_names(count: int) -> list[str]:
    """Return the usernames of the first `count` load-test students."""
    return [f"{STUDENT_PREFIX}{number:05d}" for number in range(1, count + 1)]


def seed_students(count: int, password: str, teacher_username: str, classroom: str) -> int:
    """Create the missing students among the first `count` and enrol them; return how many were created."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from vividly.accounts.models import Classroom, Enrollment, Role, User

    if not getattr(settings, "DEVSTACK", False):
        raise SystemExit("cluster_seed runs only with the local settings (DEVSTACK = True): it shares one password.")
    names = student_names(count)
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    hashed = make_password(password)
    with transaction.atomic():
        User.objects.bulk_create(
            User(
                username=name,
                role=Role.STUDENT,
                email=f"{name}@example.edu",
                first_name=f"Student {name[-5:]}",
                password=hashed,
            )
            for name in names
            if name not in existing
        )
        room = Classroom.objects.get(teacher__username=teacher_username, name=classroom)
        enrolled = set(room.enrollments.values_list("student__username", flat=True))
        Enrollment.objects.bulk_create(
            Enrollment(classroom=room, student=student)
            for student in User.objects.filter(username__in=names)
            if student.username not in enrolled
        )
    return len(names) - len(existing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--teacher", default="ms_rivera")
    parser.add_argument("--classroom", default="Physics 101")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vividly.settings.local")
    django.setup()
    created = seed_students(args.students, args.password, args.teacher, args.classroom)
    print(f"{created} load-test students created ({args.students} in all)")


if __name__ == "__main__":
    main()
