"""Password policy: a minimum length, and no common, breached or easily guessed password.

The guessability check is zxcvbn (Dropbox's estimator): its offline lists hold the most
common passwords of public breaches, English words, names and keyboard patterns, and it
counts the user's own name and e-mail as known words. A password must reach score 3
("safely unguessable": about 10^8 guesses or more), and hold no word of four letters or more
of the person's name.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from obcms_platform.errors import InvalidInputError

MIN_SCORE = 3
# zxcvbn refuses longer input (its matching is quadratic); a prefix this long that is
# strong makes the whole password strong.
CHECKED_LENGTH = 72
# zxcvbn keeps the user's words in a module-level dictionary during a check.
_zxcvbn_lock = threading.Lock()


def personal_words(values: Iterable[str]) -> list[str]:
    """The words zxcvbn counts as known of a person: each value ("Omar Macabangkit",
    "omar.m@example.org"), its words ("omar", "macabangkit") and those run together
    ("omarmacabangkit"): zxcvbn matches whole entries, and a name has a space no password
    has."""
    words: list[str] = []
    for value in values:
        parts = [part for part in re.split(r"[^\w]+|_", value.lower()) if part]
        words += [value.lower(), *parts, "".join(parts)]
    return [word for word in dict.fromkeys(words) if word]


def check_password(
    password: str,
    *,
    min_length: int,
    field: str,
    user_inputs: Iterable[str] = (),
    names: Iterable[str] = (),
) -> None:
    """Raise a 422 naming `field` when `password` breaks the policy: too short, too easy
    to guess knowing `user_inputs` (user name, full name, e-mail), or holding a word of the
    person's `names` (full name, the e-mail's name)."""
    if len(password) < min_length:
        raise InvalidInputError(
            f"{field}: at least {min_length} characters are required", field=field
        )
    # A name with a year or a sign around it scores well with zxcvbn ("Sinsuat@2026x"), but
    # the page promises such passwords are refused: any word of the person's name in it is.
    lowered = password.lower()
    words = sorted(personal_words(names), key=len, reverse=True)  # the most of it said
    found = next((word for word in words if len(word) >= 4 and word in lowered), None)
    if found is not None:
        raise InvalidInputError(
            f"{field}: this password contains your name (“{found}”); "
            "choose words that are not about you",
            field=field,
        )
    # Imported on first use: its word lists cost 15 MB that most processes never need.
    from zxcvbn import zxcvbn

    with _zxcvbn_lock:
        verdict = zxcvbn(password[:CHECKED_LENGTH], user_inputs=personal_words(user_inputs))
    if verdict["score"] < MIN_SCORE:
        feedback = verdict["feedback"]
        reasons = [feedback["warning"], *feedback["suggestions"]]
        advice = " ".join(reason for reason in reasons if reason)
        raise InvalidInputError(
            f"{field}: this password is too easy to guess. "
            + (advice or "Use a longer phrase of uncommon words."),
            field=field,
        )
