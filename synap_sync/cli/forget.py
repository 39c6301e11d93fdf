"""``synap-sync forget``: forget what Synap holds of one user: the memories matching a description, or
(without one) all of the user's data, a dry run unless ``--yes``."""

from __future__ import annotations

import argparse
import json
import sys

from ._common import EXIT_AUTH, EXIT_OK, SERVICE_EXIT_CODES, add_connection_arguments, connect

NAME = "forget"
SUMMARY = "forget what Synap holds of one user"
DESCRIPTION = (
    "With DESCRIPTION: forget that user's memories matching it (a preview request for the dashboard, or at once "
    "with --direct). Without: delete all of the user's data, permanently; a dry run that counts what would go "
    "unless --yes is given. On a B2B instance give the user's --customer-id too."
)
EXIT_CODES = {
    **SERVICE_EXIT_CODES,
    EXIT_OK: "done (or, for a preview or dry run, what would go was printed)",
    EXIT_AUTH: "the API key was refused, or may not delete",
}


def add_arguments(forget: argparse.ArgumentParser) -> None:
    forget.add_argument("description", metavar="DESCRIPTION", nargs="?", help="what to forget, 3 to 500 characters")
    forget.add_argument("--user-id", required=True, help="the user")
    forget.add_argument("--customer-id", help="the user's customer (required on a B2B instance)")
    forget.add_argument("--direct", action="store_true", help="with DESCRIPTION: delete at once, no approval")
    forget.add_argument("--yes", action="store_true", help="without DESCRIPTION: really delete (default: dry run)")
    add_connection_arguments(forget)


def run(args: argparse.Namespace) -> int:
    with connect(args) as client:
        if args.description is not None:
            mode = "direct" if args.direct else "preview"
            result = client.memories.forget(
                args.description, user_id=args.user_id, customer_id=args.customer_id, mode=mode
            )
            found = {
                "status": result.status,
                "request_id": result.request_id,
                "matched": [candidate.content for candidate in result.candidates],
                "deleted_ids": result.deleted_ids,
                "still_present_in": result.still_present_in,
            }
            print(json.dumps(found))
            return EXIT_OK
        deletion = client.data.delete(
            "user",
            user_id=args.user_id,
            customer_id=args.customer_id,
            dry_run=not args.yes,
            confirm=args.user_id if args.yes else None,
        )
        summary = {
            "status": deletion.status,
            "deletion_id": deletion.deletion_id,
            "counts": deletion.counts,
            "fully_removed": deletion.fully_removed,
        }
        print(json.dumps(summary))
        if not args.yes:
            print("dry run: nothing was deleted; add --yes to delete", file=sys.stderr)
    return EXIT_OK
