"""What people are notified of when things happen elsewhere: assignments, decisions, approval
moves and invitations, each once, to the right people, by their preferences."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from notifications_service.kinds import Channel, Kind
from notifications_service.preferences import service as preferences
from notifications_service.preferences.schemas import PreferencesUpdate
from notifications_service.projections.models import PendingRequest, WatchedPpa
from notifications_service.settings import NotificationsSettings
from obcms_platform.auth import Role
from obcms_platform.contracts import (
    BOOKING_CREATED,
    BOOKING_UPDATED,
    EVENT_CREATED,
    EVENT_DELETED,
    EVENT_UPDATED,
    LEAVE_CREATED,
    LEAVE_DELETED,
    LEAVE_UPDATED,
    PPA_APPROVAL_CHANGED,
    PPA_CREATED,
    PPA_DELETED,
    PPA_UPDATED,
    TASK_CREATED,
    TASK_DELETED,
    TASK_UPDATED,
    BookingChanged,
    CalendarEventChanged,
    CalendarEventCreated,
    LeaveChanged,
    PpaApprovalChanged,
    PpaChanged,
    PpaCreated,
    RecordDeleted,
    TaskChanged,
)
from obcms_platform.vocabulary import TaskStatus

from .people import Person, event, handle, inbox, outgoing

MANILA = dt.timezone(dt.timedelta(hours=8))


def _task(
    task_id: uuid.UUID,
    assignees: list[uuid.UUID],
    *,
    version: int,
    due: dt.date | None = dt.date(2026, 12, 18),
    by: uuid.UUID | None = None,
    generated_for: uuid.UUID | None = None,
    status: TaskStatus = TaskStatus.NOT_STARTED,
) -> TaskChanged:
    return TaskChanged(
        task_id=task_id,
        title="Draft the work and financial plan",
        status=status,
        due_date=due,
        assignee_ids=assignees,
        version=version,
        changed_by=by,
        auto_generated=generated_for is not None,
        related_ppa_id=generated_for,
    )


def test_an_assignment_reaches_the_assignee_once_in_the_inbox_and_by_email(
    session: Session, settings: NotificationsSettings
) -> None:
    amina, boss = Person(), Person(full_name="Datu Piang", email="datu@example.org")
    handle(session, settings, amina.announced(), boss.announced())
    task_id = uuid.uuid4()
    assigned = event(
        TASK_CREATED, _task(task_id, [amina.user_id], version=1, by=boss.user_id), task_id
    )
    handle(session, settings, assigned)
    # The same announcement again (a replay) and a later edit that keeps her assigned.
    handle(session, settings, assigned.model_copy(update={"id": uuid.uuid4()}))
    handle(
        session,
        settings,
        event(TASK_UPDATED, _task(task_id, [amina.user_id], version=2, by=boss.user_id), task_id),
    )

    [notification] = inbox(session, amina)
    assert notification.kind == Kind.TASK_ASSIGNED
    assert (
        notification.title
        == "Datu Piang assigned you \u201cDraft the work and financial plan\u201d"
    )
    assert notification.body == "Due Fri 18 Dec 2026."
    assert notification.link == f"/go/task/{task_id}"
    [email] = outgoing(session, amina)
    assert email.to_address == "Amina Kusain <amina@example.org>"
    assert "Draft the work and financial plan" in email.subject
    assert f"{settings.public_url}/go/task/{task_id}" in email.text_body
    assert f'href="{settings.public_url}/go/task/{task_id}"' in email.html_body
    # Who assigned it is not told of their own action.
    assert inbox(session, boss) == []


def test_a_repeating_tasks_next_occurrence_is_no_colleagues_assignment(
    session: Session, settings: NotificationsSettings
) -> None:
    """Completing the monthly report creates the next one: whoever completed it is not told,
    a co-assignee reads that the next one waits (not that a colleague assigned it)."""
    amina, omar = Person(), Person(full_name="Omar Sali", email="omar@example.org")
    handle(session, settings, amina.announced(), omar.announced())
    first, following = uuid.uuid4(), uuid.uuid4()
    payload = _task(following, [amina.user_id, omar.user_id], version=1, by=amina.user_id)
    payload = payload.model_copy(update={"previous_task_id": first})
    handle(session, settings, event(TASK_CREATED, payload, following))

    assert inbox(session, amina) == []
    [notification] = inbox(session, omar)
    assert notification.kind == Kind.TASK_ASSIGNED
    assert (
        notification.title
        == "The next \u201cDraft the work and financial plan\u201d is waiting for you"
    )
    assert notification.body == "Due Fri 18 Dec 2026."


def test_reassigning_tells_the_new_assignee_not_the_old_and_due_changes_tell_the_rest(
    session: Session, settings: NotificationsSettings
) -> None:
    amina, bai = Person(), Person(full_name="Bai Lumna", email="bai@example.org")
    handle(session, settings, amina.announced(), bai.announced())
    task_id = uuid.uuid4()
    handle(
        session, settings, event(TASK_CREATED, _task(task_id, [amina.user_id], version=1), task_id)
    )
    handle(
        session,
        settings,
        event(TASK_UPDATED, _task(task_id, [amina.user_id, bai.user_id], version=2), task_id),
        event(
            TASK_UPDATED,
            _task(task_id, [amina.user_id, bai.user_id], version=3, due=dt.date(2026, 12, 21)),
            task_id,
        ),
    )
    assert [n.kind for n in inbox(session, amina)] == [Kind.TASK_ASSIGNED, Kind.TASK_DUE_CHANGED]
    assert inbox(session, amina)[1].title.endswith("is now due Mon 21 Dec 2026")
    assert [n.kind for n in inbox(session, bai)] == [Kind.TASK_ASSIGNED, Kind.TASK_DUE_CHANGED]


def test_whoever_is_taken_off_a_task_or_whose_task_is_deleted_hears_of_it(
    session: Session, settings: NotificationsSettings
) -> None:
    """A reassigned person kept working on what was no longer theirs, and a deleted task
    vanished without a word."""
    amina, bai = Person(), Person(full_name="Bai Lumna", email="bai@example.org")
    boss = Person(full_name="Datu Piang", email="datu@example.org")
    handle(session, settings, amina.announced(), bai.announced(), boss.announced())
    task_id = uuid.uuid4()
    handle(
        session,
        settings,
        event(TASK_CREATED, _task(task_id, [amina.user_id], version=1, by=boss.user_id), task_id),
        event(TASK_UPDATED, _task(task_id, [bai.user_id], version=2, by=boss.user_id), task_id),
    )
    assert [n.title for n in inbox(session, amina)][-1] == (
        "Datu Piang took you off \u201cDraft the work and financial plan\u201d"
    )
    handle(
        session,
        settings,
        event(TASK_DELETED, _task(task_id, [bai.user_id], version=3, by=boss.user_id), task_id),
    )
    assert [n.title for n in inbox(session, bai)][-1] == (
        "Datu Piang deleted \u201cDraft the work and financial plan\u201d"
    )
    assert inbox(session, boss) == []  # not told of their own changes
    assert inbox(session, bai)[-1].link == ""  # nothing to open: it is gone


def test_the_assignees_hear_when_a_colleague_completes_their_task_once(
    session: Session, settings: NotificationsSettings
) -> None:
    """A team member completed Norhana's task from her own list by mistake; Norhana was
    never told."""
    norhana = Person(full_name="Norhana Ampatuan", email="norhana@example.org")
    omar = Person(full_name="Omar Macabangkit", email="omar@example.org")
    jamila = Person(full_name="Jamila S. Sinsuat", email="jamila@example.org")
    handle(session, settings, norhana.announced(), omar.announced(), jamila.announced())
    task_id = uuid.uuid4()
    both = [norhana.user_id, omar.user_id]
    completed = event(
        TASK_UPDATED,
        _task(task_id, both, version=2, by=jamila.user_id, status=TaskStatus.COMPLETED),
        task_id,
    )
    handle(
        session,
        settings,
        event(TASK_CREATED, _task(task_id, both, version=1), task_id),
        completed,
        completed.model_copy(update={"id": uuid.uuid4()}),  # replayed
    )
    for person in (norhana, omar):
        [told] = [n for n in inbox(session, person) if n.kind == Kind.TASK_COMPLETED]
        assert told.title == (
            "\u201cDraft the work and financial plan\u201d was completed by Jamila S. Sinsuat"
        )
        assert told.link == f"/go/task/{task_id}"
    assert inbox(session, jamila) == []
    # An assignee completing it herself is not told of her own act.
    other = uuid.uuid4()
    handle(
        session,
        settings,
        event(TASK_CREATED, _task(other, [norhana.user_id], version=1), other),
        event(
            TASK_UPDATED,
            _task(
                other,
                [norhana.user_id],
                version=2,
                by=norhana.user_id,
                status=TaskStatus.COMPLETED,
            ),
            other,
        ),
    )
    assert [n.kind for n in inbox(session, norhana)].count(Kind.TASK_COMPLETED) == 1


def test_an_events_preparation_tasks_moved_or_removed_with_it_send_no_message_each(
    session: Session, settings: NotificationsSettings
) -> None:
    """Deleting three meetings sent their organizer 24 mails ("… was deleted"), moving one
    eight ("… is now due"): the event's own message says it."""
    organizer = Person()
    handle(session, settings, organizer.announced())
    event_id = uuid.uuid4()
    tasks = [uuid.uuid4() for _ in range(3)]

    def generated(task_id: uuid.UUID, version: int, due: dt.date) -> TaskChanged:
        return _task(task_id, [organizer.user_id], version=version, due=due).model_copy(
            update={"auto_generated": True, "related_event_id": event_id}
        )

    for task_id in tasks:
        handle(
            session,
            settings,
            event(TASK_CREATED, generated(task_id, 1, dt.date(2026, 12, 14)), task_id),
            event(TASK_UPDATED, generated(task_id, 2, dt.date(2026, 12, 17)), task_id),
            event(TASK_DELETED, generated(task_id, 3, dt.date(2026, 12, 17)), task_id),
        )
    kinds = [n.kind for n in inbox(session, organizer)]
    assert Kind.TASK_DUE_CHANGED not in kinds
    assert Kind.TASK_ASSIGNED not in kinds
    assert not any("deleted" in n.title for n in inbox(session, organizer))


def test_late_and_deleted_task_announcements_notify_nobody(
    session: Session, settings: NotificationsSettings
) -> None:
    amina, bai = Person(), Person(email="bai@example.org")
    handle(session, settings, amina.announced(), bai.announced())
    task_id = uuid.uuid4()
    handle(
        session,
        settings,
        event(TASK_CREATED, _task(task_id, [amina.user_id], version=1), task_id),
        event(TASK_DELETED, _task(task_id, [amina.user_id], version=3), task_id),
        # Version 2 (assigning Bai) arrives after the deletion.
        event(TASK_UPDATED, _task(task_id, [amina.user_id, bai.user_id], version=2), task_id),
    )
    assert inbox(session, bai) == []


def test_generated_tasks_are_one_growing_summary_per_person_and_record(
    session: Session, settings: NotificationsSettings
) -> None:
    lead = Person()
    handle(session, settings, lead.announced())
    ppa_id = uuid.uuid4()
    handle(
        session,
        settings,
        event(
            PPA_CREATED,
            PpaCreated(title="Farm-to-market road", owner_ids=[lead.user_id]),
            ppa_id,
        ),
    )
    for version in range(1, 4):
        task_id = uuid.uuid4()
        handle(
            session,
            settings,
            event(
                TASK_CREATED,
                _task(task_id, [lead.user_id], version=version, generated_for=ppa_id),
                task_id,
            ),
        )
    [summary] = inbox(session, lead)
    assert summary.kind == Kind.TASKS_GENERATED
    assert summary.count == 3
    assert summary.title == "New tasks for you on the PPA \u201cFarm-to-market road\u201d"
    assert summary.link == f"/go/ppa/{ppa_id}"
    assert outgoing(session, lead) == []  # summaries wait for the digest


def test_a_hand_over_of_many_tasks_is_one_summary_for_each_person_it_moves(
    session: Session, settings: NotificationsSettings
) -> None:
    """Rashid's 3 tasks handed over to Norhana in one bulk change: she is told once ("3"),
    not 3 times with 3 emails; Rashid, still active, learns once that he is off them."""
    rashid = Person(full_name="Rashid Lidasan", email="rashid@example.org")
    norhana = Person(full_name="Norhana Ampatuan", email="norhana@example.org")
    admin = Person(full_name="Administrator", email="admin@example.org", role=Role.ADMIN)
    handle(session, settings, rashid.announced(), norhana.announced(), admin.announced())
    bulk_id = uuid.uuid4()
    for _ in range(3):
        task_id = uuid.uuid4()
        handle(
            session,
            settings,
            event(TASK_CREATED, _task(task_id, [rashid.user_id], version=1), task_id),
        )
        handed = _task(task_id, [norhana.user_id], version=2, by=admin.user_id).model_copy(
            update={"bulk_id": bulk_id, "bulk_reason": "handed over from Rashid Lidasan"}
        )
        handle(session, settings, event(TASK_UPDATED, handed, task_id))

    [summary] = inbox(session, norhana)
    assert summary.kind == Kind.TASK_ASSIGNED
    assert summary.count == 3
    assert summary.title == "Administrator assigned you tasks: handed over from Rashid Lidasan"
    assert summary.link == "/oobc-management/staff/tasks/mine/"
    assert outgoing(session, norhana) == []  # summaries go out in the digest
    taken_off = [n for n in inbox(session, rashid) if "took you off" in n.title]
    assert [(n.title, n.count) for n in taken_off] == [
        ("Administrator took you off tasks: handed over from Rashid Lidasan", 3)
    ]


def test_tasks_generated_for_an_event_name_it(
    session: Session, settings: NotificationsSettings
) -> None:
    organizer = Person()
    handle(session, settings, organizer.announced())
    event_id = uuid.uuid4()
    start = dt.datetime(2026, 12, 14, 9, 0, tzinfo=MANILA)
    meeting = CalendarEventCreated(
        event_id=event_id,
        title="Budget hearing",
        start=start,
        end=start + dt.timedelta(hours=2),
        version=1,
        organizer_id=organizer.user_id,
    )
    handle(session, settings, event(EVENT_CREATED, meeting, event_id))
    task_id = uuid.uuid4()
    prepared = _task(task_id, [organizer.user_id], version=1).model_copy(
        update={"auto_generated": True, "related_event_id": event_id}
    )
    handle(session, settings, event(TASK_CREATED, prepared, task_id))
    [summary] = [n for n in inbox(session, organizer) if n.kind == Kind.TASKS_GENERATED]
    assert summary.title == "New tasks for you on the event \u201cBudget hearing\u201d"


def test_leave_asks_managers_and_its_decision_tells_the_requester(
    session: Session, settings: NotificationsSettings
) -> None:
    amina = Person()
    manager = Person(full_name="Hadji Ali", email="ali@example.org", role=Role.MANAGER)
    other_manager = Person(full_name="Bai Sittie", email="sittie@example.org", role=Role.MANAGER)
    colleague = Person(full_name="Norhan M", email="norhan@example.org")
    handle(
        session,
        settings,
        amina.announced(),
        manager.announced(),
        other_manager.announced(),
        colleague.announced(),
    )
    leave_id = uuid.uuid4()

    def leave(status: str, version: int) -> LeaveChanged:
        return LeaveChanged(
            leave_id=leave_id,
            user_id=amina.user_id,
            leave_type="vacation",
            start_date=dt.date(2026, 12, 21),
            end_date=dt.date(2026, 12, 23),
            status=status,
            version=version,
            decided_by=manager.user_id if status != "pending" else None,
            decision_note="Enjoy the break" if status != "pending" else None,
        )

    handle(session, settings, event(LEAVE_CREATED, leave("pending", 1), leave_id))
    [ask] = inbox(session, manager)
    assert ask.kind == Kind.DECISION_NEEDED
    assert (
        ask.title == "Amina Kusain asks for vacation leave, Mon 21 Dec 2026 \u2013 Wed 23 Dec 2026"
    )
    assert inbox(session, colleague) == []

    handle(session, settings, event(LEAVE_UPDATED, leave("approved", 2), leave_id))
    [decided] = inbox(session, amina)
    assert decided.kind == Kind.LEAVE_DECIDED
    assert decided.title == (
        "Your vacation leave (Mon 21 Dec 2026 \u2013 Wed 23 Dec 2026) was approved by Hadji Ali"
    )
    assert decided.body == "Enjoy the break"  # what the manager said with it
    assert len(outgoing(session, amina)) == 1
    # Decided: the other manager's "asks for" is read, not waiting for a decision made.
    [asked] = inbox(session, other_manager)
    assert asked.kind == Kind.DECISION_NEEDED
    assert asked.read_at is not None


def test_a_manager_asking_for_leave_is_not_asked_to_decide_it(
    session: Session, settings: NotificationsSettings
) -> None:
    manager = Person(full_name="Hadji Ali", email="ali@example.org", role=Role.MANAGER)
    other_manager = Person(full_name="Bai Sittie", email="sittie@example.org", role=Role.MANAGER)
    handle(session, settings, manager.announced(), other_manager.announced())
    leave_id = uuid.uuid4()
    asked = LeaveChanged(
        leave_id=leave_id,
        user_id=manager.user_id,
        leave_type="official",
        start_date=dt.date(2026, 12, 28),
        end_date=dt.date(2026, 12, 28),
        status="pending",
        version=1,
    )
    handle(session, settings, event(LEAVE_CREATED, asked, leave_id))
    assert inbox(session, manager) == []
    assert [n.title for n in inbox(session, other_manager)] == [
        "Hadji Ali asks for official leave, Mon 28 Dec 2026"
    ]


def test_a_ppas_older_announcement_arriving_late_does_not_undo_a_newer_one(
    session: Session, settings: NotificationsSettings
) -> None:
    """`obcms-portfolio ppas announce` sends every PPA as it is; handled after a later change
    of a PPA, its announcement must not bring back the owners it had."""
    former, current = Person(), Person(full_name="Omar Sali", email="omar@example.org")
    handle(session, settings, former.announced(), current.announced())
    ppa_id = uuid.uuid4()
    changed_at = dt.datetime.now(dt.UTC)
    handle(
        session,
        settings,
        event(
            PPA_UPDATED,
            PpaChanged(title="Madrasah", owner_ids=[current.user_id]),
            ppa_id,
            at=changed_at,
        ),
        event(
            PPA_UPDATED,
            PpaChanged(title="Madrasah", owner_ids=[former.user_id]),
            ppa_id,
            at=changed_at - dt.timedelta(seconds=1),
        ),
        event(PPA_APPROVAL_CHANGED, PpaApprovalChanged(title="Madrasah", to="approved"), ppa_id),
    )
    assert [n.title for n in inbox(session, current)] == [
        "Your PPA \u201cMadrasah\u201d was approved"
    ]
    assert inbox(session, former) == []


def test_a_ppas_announcements_handled_after_its_deletion_tell_no_one_of_it(
    session: Session, settings: NotificationsSettings
) -> None:
    """A ppa.updated and an approval move announced before the PPA's deletion, handled after
    it (retried): the PPA is not kept again, and nobody hears of a PPA that is gone."""
    owner = Person()
    manager = Person(full_name="Hadji Ali", email="ali@example.org", role=Role.MANAGER)
    handle(session, settings, owner.announced(), manager.announced())
    ppa_id = uuid.uuid4()
    created_at = dt.datetime.now(dt.UTC)
    handle(
        session,
        settings,
        event(
            PPA_CREATED,
            PpaCreated(title="Madrasah support", owner_ids=[owner.user_id]),
            ppa_id,
            at=created_at,
        ),
        event(PPA_DELETED, RecordDeleted(title="Madrasah support"), ppa_id),
        event(
            PPA_UPDATED,
            PpaChanged(title="Madrasah support, phase 2", owner_ids=[owner.user_id]),
            ppa_id,
            at=created_at + dt.timedelta(seconds=1),
        ),
        event(
            PPA_APPROVAL_CHANGED,
            PpaApprovalChanged(title="Madrasah support", from_="draft", to="technical_review"),
            ppa_id,
            at=created_at + dt.timedelta(seconds=2),
        ),
    )
    assert session.get(WatchedPpa, ppa_id) is None
    assert session.get(PendingRequest, ("ppa_approval", ppa_id)) is None
    assert inbox(session, owner) == []
    assert inbox(session, manager) == []


def test_a_deletion_handled_before_the_ppas_creation_still_wins(
    session: Session, settings: NotificationsSettings
) -> None:
    owner = Person()
    handle(session, settings, owner.announced())
    ppa_id = uuid.uuid4()
    handle(
        session,
        settings,
        event(PPA_DELETED, RecordDeleted(title="Madrasah support"), ppa_id),
        event(
            PPA_CREATED,
            PpaCreated(title="Madrasah support", owner_ids=[owner.user_id]),
            ppa_id,
        ),
        event(
            PPA_APPROVAL_CHANGED,
            PpaApprovalChanged(title="Madrasah support", from_="draft", to="approved"),
            ppa_id,
        ),
    )
    assert session.get(WatchedPpa, ppa_id) is None
    assert inbox(session, owner) == []


def test_leave_withdrawn_before_its_request_is_handled_asks_no_manager(
    session: Session, settings: NotificationsSettings
) -> None:
    amina = Person()
    manager = Person(full_name="Hadji Ali", email="ali@example.org", role=Role.MANAGER)
    handle(session, settings, amina.announced(), manager.announced())
    leave_id = uuid.uuid4()

    def leave(version: int) -> LeaveChanged:
        return LeaveChanged(
            leave_id=leave_id,
            user_id=amina.user_id,
            leave_type="vacation",
            start_date=dt.date(2026, 12, 21),
            end_date=dt.date(2026, 12, 23),
            status="pending",
            version=version,
        )

    handle(
        session,
        settings,
        event(LEAVE_DELETED, leave(2), leave_id),
        event(LEAVE_CREATED, leave(1), leave_id),
    )
    assert session.get(PendingRequest, ("leave", leave_id)) is None
    assert inbox(session, manager) == []


def test_an_approval_move_asks_those_who_act_next_and_tells_the_owners(
    session: Session, settings: NotificationsSettings
) -> None:
    owner = Person()
    manager = Person(full_name="Hadji Ali", email="ali@example.org", role=Role.MANAGER)
    admin = Person(full_name="Director", email="director@example.org", role=Role.ADMIN)
    handle(session, settings, owner.announced(), manager.announced(), admin.announced())
    ppa_id = uuid.uuid4()
    handle(
        session,
        settings,
        event(PPA_CREATED, PpaCreated(title="Madrasah support", owner_ids=[owner.user_id]), ppa_id),
        event(
            PPA_APPROVAL_CHANGED,
            PpaApprovalChanged(title="Madrasah support", from_="draft", to="technical_review"),
            ppa_id,
        ),
    )
    assert [n.title for n in inbox(session, manager)] == [
        "The PPA \u201cMadrasah support\u201d waits for technical review"
    ]
    assert [n.title for n in inbox(session, owner)] == [
        "Your PPA \u201cMadrasah support\u201d moved to technical review"
    ]
    handle(
        session,
        settings,
        event(
            PPA_APPROVAL_CHANGED,
            PpaApprovalChanged(
                title="Madrasah support", from_="budget_review", to="executive_approval"
            ),
            ppa_id,
        ),
    )
    # The last step is an admin's: managers are not asked for it.
    assert len(inbox(session, manager)) == 1
    assert [n.kind for n in inbox(session, admin)] == [Kind.DECISION_NEEDED, Kind.DECISION_NEEDED]
    # The stage passed, what asked for it is read; only the step now waiting is unread.
    assert inbox(session, manager)[0].read_at is not None
    assert [n.read_at is None for n in inbox(session, admin)] == [False, True]

    # Whoever makes a move is told nothing of it: a manager returning a PPA they own heard
    # of their own move (and was asked to decide what they had just sent on).
    handle(
        session,
        settings,
        event(
            PPA_APPROVAL_CHANGED,
            PpaApprovalChanged(
                title="Madrasah support",
                from_="draft",
                to="technical_review",
                changed_by=manager.user_id,
            ),
            ppa_id,
        ),
    )
    assert len(inbox(session, manager)) == 1
    assert len(inbox(session, owner)) == 3

    # An outcome is said as one: "was approved", not "moved to approved"; and by whom.
    for to, said in (
        ("approved", "was approved by Director"),
        ("rejected", "was rejected by Director"),
        ("draft", "is back in draft by Director"),
    ):
        handle(
            session,
            settings,
            event(
                PPA_APPROVAL_CHANGED,
                PpaApprovalChanged(
                    title="Madrasah support",
                    from_="executive_approval",
                    to=to,
                    changed_by=admin.user_id,
                ),
                ppa_id,
            ),
        )
        assert inbox(session, owner)[-1].title == f"Your PPA \u201cMadrasah support\u201d {said}"


def test_participants_are_invited_told_of_changes_and_of_the_cancellation(
    session: Session, settings: NotificationsSettings
) -> None:
    organizer, guest = (
        Person(),
        Person(full_name="Bai Lumna", email="bai@example.org", time_zone="Europe/London"),
    )
    handle(session, settings, organizer.announced(), guest.announced())
    event_id = uuid.uuid4()
    start = dt.datetime(2026, 12, 14, 9, 0, tzinfo=MANILA)

    def meeting(version: int, begins: dt.datetime) -> CalendarEventCreated:
        return CalendarEventCreated(
            event_id=event_id,
            title="Coordination meeting",
            start=begins,
            end=begins + dt.timedelta(hours=1),
            version=version,
            organizer_id=organizer.user_id,
            participant_ids=[guest.user_id],
            changed_by=organizer.user_id,
            venue="Room 2",
        )

    handle(session, settings, event(EVENT_CREATED, meeting(1, start), event_id))
    handle(
        session,
        settings,
        event(
            EVENT_UPDATED,
            CalendarEventChanged(**meeting(2, start + dt.timedelta(days=1)).model_dump()),
            event_id,
        ),
        event(EVENT_DELETED, CalendarEventChanged(**meeting(3, start).model_dump()), event_id),
    )
    assert [n.kind for n in inbox(session, guest)] == [
        Kind.EVENT_INVITED,
        Kind.EVENT_CHANGED,
        Kind.EVENT_CANCELLED,
    ]
    # In the guest's own time (London), as their calendar shows it: 09:00 in Manila is 01:00.
    invited, changed, removed = inbox(session, guest)
    assert invited.title == (
        "You are invited to \u201cCoordination meeting\u201d, Mon 14 Dec 2026, 01:00\u201302:00"
    )
    # Where, and whose meeting it is.
    assert invited.body == f"At Room 2. Organised by {organizer.full_name}."
    assert changed.title.endswith("changed: now Tue 15 Dec 2026, 01:00\u201302:00")
    assert removed.title == (
        "\u201cCoordination meeting\u201d (Mon 14 Dec 2026, 01:00\u201302:00) was removed from "
        "the calendar"
    )
    assert {mail.subject for mail in outgoing(session, guest)} == {
        invited.title,
        changed.title,
        removed.title,
    }
    assert inbox(session, organizer) == []


def test_preferences_choose_the_channel_and_quiet_hours_hold_email_back(
    session: Session, settings: NotificationsSettings
) -> None:
    quiet, silent = Person(), Person(email="silent@example.org")
    handle(session, settings, quiet.announced(), silent.announced())
    preferences.update(
        session,
        quiet.user_id,
        PreferencesUpdate(
            quiet_start=dt.time(0, 0),
            quiet_end=dt.time(23, 59),
            channels={Kind.TASK_ASSIGNED: Channel.EMAIL},
        ),
        None,
    )
    preferences.update(
        session, silent.user_id, PreferencesUpdate(channels={Kind.TASK_ASSIGNED: Channel.OFF}), None
    )
    session.commit()
    task_id = uuid.uuid4()
    handle(
        session,
        settings,
        event(TASK_CREATED, _task(task_id, [quiet.user_id, silent.user_id], version=1), task_id),
    )
    [note] = inbox(session, quiet)
    assert note.in_app is False  # email only: not in the inbox
    [email] = outgoing(session, quiet)
    assert email.next_attempt_at.astimezone(MANILA).time() == dt.time(23, 59)
    assert inbox(session, silent) == []
    assert outgoing(session, silent) == []


def test_who_acted_is_named_by_full_name_else_user_name(
    session: Session, settings: NotificationsSettings
) -> None:
    amina = Person()
    admin = Person(full_name="", username="admin", email=None, role=Role.ADMIN)
    handle(session, settings, amina.announced(), admin.announced())
    task_id = uuid.uuid4()
    handle(
        session,
        settings,
        event(TASK_CREATED, _task(task_id, [amina.user_id], version=1, by=admin.user_id), task_id),
    )
    [notification] = inbox(session, amina)
    assert notification.title.startswith("admin assigned you ")


def test_attendees_hear_what_changed_a_moved_or_cancelled_occurrence_a_venue_a_removal(
    session: Session, settings: NotificationsSettings
) -> None:
    """Only a changed first start or title was told: one occurrence moved or cancelled, a
    new venue or length, and being taken off the list reached nobody."""
    organizer, guest, dropped = (
        Person(),
        Person(full_name="Bai Lumna", email="bai@example.org"),
        Person(full_name="Omar M", email="omar@example.org"),
    )
    handle(session, settings, organizer.announced(), guest.announced(), dropped.announced())
    event_id = uuid.uuid4()
    start = dt.datetime(2026, 12, 9, 10, 0, tzinfo=MANILA)
    weekly = "DTSTART:20261209T100000\nRRULE:FREQ=WEEKLY;COUNT=6"

    def series(version: int, rule: str, **changes: object) -> CalendarEventChanged:
        values: dict[str, object] = {
            "event_id": event_id,
            "title": "Weekly sync",
            "venue": "Room 1",
            "start": start,
            "end": start + dt.timedelta(hours=1),
            "recurring": True,
            "recurrence": rule,
            "timezone": "Asia/Manila",
            "version": version,
            "organizer_id": organizer.user_id,
            "participant_ids": [guest.user_id, dropped.user_id],
            "changed_by": organizer.user_id,
        }
        return CalendarEventChanged(**{**values, **changes})

    def told(version: int, rule: str, **changes: object) -> list[str]:
        before = {n.id for n in inbox(session, guest)}
        payload = series(version, rule, **changes)
        kind = EVENT_CREATED if version == 1 else EVENT_UPDATED
        handle(session, settings, event(kind, payload, event_id, at=start - dt.timedelta(days=3)))
        return [n.title for n in inbox(session, guest) if n.id not in before]

    told(1, weekly)
    moved = weekly + "\nEXDATE:20261216T100000\nRDATE:20261216T150000"
    assert told(2, moved) == [
        # From when to when: the same day, the new times alone.
        "\u201cWeekly sync\u201d changed: Wed 16 Dec 2026, 10:00\u201311:00 moved to "
        "15:00\u201316:00"
    ]
    cancelled = moved + "\nEXDATE:20261223T100000"
    assert told(3, cancelled) == ["\u201cWeekly sync\u201d changed: Wed 23 Dec 2026 is cancelled"]
    assert told(4, cancelled, venue="Room 2") == ["\u201cWeekly sync\u201d changed: now at Room 2"]
    # Each opens what it is about: the occurrence (by the day it was planned on), or the event.
    links = {
        n.title.split(": ")[1]: n.link
        for n in inbox(session, guest)
        if n.kind == Kind.EVENT_CHANGED
    }
    assert links == {
        "Wed 16 Dec 2026, 10:00\u201311:00 moved to 15:00\u201316:00": (
            f"/go/event/{event_id}?occurrence=2026-12-16"
        ),
        "Wed 23 Dec 2026 is cancelled": f"/go/event/{event_id}?occurrence=2026-12-23",
        "now at Room 2": f"/go/event/{event_id}",
    }
    longer = told(5, cancelled, venue="Room 2", end=start + dt.timedelta(hours=2))
    # Every occurrence is longer, not the first one alone.
    assert longer == ["\u201cWeekly sync\u201d changed: all occurrences now 10:00\u201312:00"]

    told(6, cancelled, venue="Room 2", participant_ids=[guest.user_id])
    [removal] = [n for n in inbox(session, dropped) if n.kind == Kind.EVENT_CANCELLED]
    assert removal.title.startswith("You are no longer invited to \u201cWeekly sync\u201d")
    assert inbox(session, organizer) == []


def test_a_booking_request_and_its_decision_name_the_resource_and_who_decided(
    session: Session, settings: NotificationsSettings
) -> None:
    booker = Person()
    manager = Person(full_name="Hadji Ali", email="ali@example.org", role=Role.MANAGER)
    handle(session, settings, booker.announced(), manager.announced())
    booking_id = uuid.uuid4()
    start = dt.datetime(2026, 12, 22, 8, 0, tzinfo=MANILA)

    def booking(status: str, version: int) -> BookingChanged:
        return BookingChanged(
            booking_id=booking_id,
            resource_id=uuid.uuid4(),
            resource_name="Toyota Hiace van",
            start=start,
            end=start + dt.timedelta(hours=4),
            status=status,
            booked_by=booker.user_id,
            version=version,
            decided_by=manager.user_id if status != "pending" else None,
        )

    handle(session, settings, event(BOOKING_CREATED, booking("pending", 1), booking_id))
    [asked] = inbox(session, manager)
    assert asked.title == (
        "Amina Kusain asks to book Toyota Hiace van, Tue 22 Dec 2026, 08:00\u201312:00"
    )
    handle(session, settings, event(BOOKING_UPDATED, booking("rejected", 2), booking_id))
    [decided] = inbox(session, booker)
    assert decided.title == (
        "Your booking of Toyota Hiace van (Tue 22 Dec 2026, 08:00\u201312:00) was rejected "
        "by Hadji Ali"
    )


def test_a_series_invitation_says_it_repeats_and_its_split_is_a_change(
    session: Session, settings: NotificationsSettings
) -> None:
    organizer, guest = Person(), Person(full_name="Bai Lumna", email="bai@example.org")
    handle(session, settings, organizer.announced(), guest.announced())
    first, second = uuid.uuid4(), uuid.uuid4()
    start = dt.datetime(2026, 12, 9, 10, 0, tzinfo=MANILA)

    def series(event_id: uuid.UUID, begins: dt.datetime, **more: object) -> CalendarEventCreated:
        return CalendarEventCreated(
            event_id=event_id,
            title="Weekly sync",
            start=begins,
            end=begins + dt.timedelta(hours=1),
            recurring=True,
            recurrence=f"DTSTART:{begins:%Y%m%dT%H%M%S}\nRRULE:FREQ=WEEKLY;COUNT=3",
            timezone="Asia/Manila",
            version=1,
            organizer_id=organizer.user_id,
            participant_ids=[guest.user_id],
            changed_by=organizer.user_id,
            **more,
        )

    handle(session, settings, event(EVENT_CREATED, series(first, start), first))
    [invited] = inbox(session, guest)
    # Its pattern, not its first date as if it were a single meeting.
    assert invited.title == (
        "You are invited to \u201cWeekly sync\u201d, every week on Wednesday, "
        "10:00\u201311:00, from Wed 9 Dec 2026, 3 times"
    )
    # "This and following" from 30 Dec: the rest of the same meeting, an hour later.
    later = dt.datetime(2026, 12, 30, 11, 0, tzinfo=MANILA)
    handle(session, settings, event(EVENT_CREATED, series(second, later, split_from=first), second))
    [_, split] = inbox(session, guest)
    assert split.kind == Kind.EVENT_CHANGED
    assert split.title == (
        "\u201cWeekly sync\u201d changes from Wed 30 Dec 2026: 11:00\u201312:00 "
        "(was 10:00\u201311:00)"
    )


MISSION_DAYS = "BYDAY=MO,TU,WE,TH,FR"


def _stand_up(
    event_id: uuid.UUID,
    people: tuple[Person, Person],
    begins: dt.datetime,
    minutes: int,
    until: str,
    **more: object,
) -> CalendarEventCreated:
    """Rashid's "Mission stand-up" as the calendar announces it: every weekday until `until`
    (YYYYMMDD), from `begins` (Manila), with `more` (its venue, overrides, version...)."""
    organizer, guest = people
    rule = (
        f"DTSTART:{begins:%Y%m%dT%H%M%S}\nRRULE:FREQ=WEEKLY;UNTIL={until}T235959;"
        f"{MISSION_DAYS};BYHOUR={begins.hour};BYMINUTE={begins.minute};BYSECOND=0"
    )
    values: dict[str, object] = {
        "event_id": event_id,
        "title": "Mission stand-up",
        "venue": "OOBC office, Cotabato",
        "start": begins,
        "end": begins + dt.timedelta(minutes=minutes),
        "recurring": True,
        "recurrence": rule,
        "timezone": "Asia/Manila",
        "version": 1,
        "organizer_id": organizer.user_id,
        "participant_ids": [guest.user_id],
        "changed_by": organizer.user_id,
        "overrides": [],
    }
    return CalendarEventCreated(**{**values, **more})


def test_a_split_series_is_one_change_from_its_day_on_in_either_order_and_only_once(
    session: Session, settings: NotificationsSettings
) -> None:
    """ "This and following" from Mon 21 Dec told Norhana that 21-23 Dec were cancelled (the
    days the first series lost to the second) and "changed from Mon 21 Dec 2026, 07:30-07:50
    on": neither what changed nor all five days."""
    rashid, norhana = Person(full_name="Rashid"), Person(full_name="Norhana", email="n@x.org")
    dropped = Person(full_name="Omar", email="omar@x.org")
    handle(session, settings, rashid.announced(), norhana.announced(), dropped.announced())
    people = (rashid, norhana)
    both = [norhana.user_id, dropped.user_id]
    monday = dt.datetime(2026, 12, 14, 7, 0, tzinfo=MANILA)
    split_day = dt.datetime(2026, 12, 21, 7, 30, tzinfo=MANILA)
    at = dt.datetime(2026, 12, 10, 9, 0, tzinfo=MANILA)

    for new_series_first in (False, True):
        first, second = uuid.uuid4(), uuid.uuid4()
        before = len(inbox(session, norhana))
        created = _stand_up(first, people, monday, 20, "20261225", participant_ids=both)
        handle(session, settings, event(EVENT_CREATED, created, first, at=at))
        shortened = CalendarEventChanged(
            **_stand_up(
                first,
                people,
                monday,
                20,
                "20261220",
                version=2,
                split_on=dt.date(2026, 12, 21),
                participant_ids=both,
            ).model_dump()
        )
        rest = _stand_up(
            second, people, split_day, 20, "20261225", venue="Marawi field office", split_from=first
        )
        announced = [
            event(EVENT_UPDATED, shortened, first, at=at),
            event(EVENT_CREATED, rest, second, at=at),
        ]
        if new_series_first:
            announced.reverse()
        # Each announced twice (a redelivery): told once.
        handle(session, settings, *announced, *announced)
        titles = [n.title for n in inbox(session, norhana)[before:]]
        assert titles == [
            "You are invited to \u201cMission stand-up\u201d, every weekday, "
            "07:00\u201307:20, Mon 14 Dec 2026 \u2013 Fri 25 Dec 2026",
            "\u201cMission stand-up\u201d changes from Mon 21 Dec 2026: 07:30\u201307:50 "
            "(was 07:00\u201307:20), at Marawi field office",
        ], f"new series first: {new_series_first}"
    # Whom the second half leaves out hears it, once per split.
    assert [n.title for n in inbox(session, dropped) if n.kind == Kind.EVENT_CANCELLED] == 2 * [
        "You are no longer invited to \u201cMission stand-up\u201d, every weekday, "
        "07:30\u201307:50, Mon 21 Dec 2026 \u2013 Fri 25 Dec 2026"
    ]


def _rashid_and_norhana(session: Session, settings: NotificationsSettings) -> tuple[Person, Person]:
    """The stand-up's organiser and its invitee (who reads the messages), announced."""
    rashid, norhana = Person(full_name="Rashid"), Person(full_name="Norhana", email="n@x.org")
    handle(session, settings, rashid.announced(), norhana.announced())
    return rashid, norhana


def test_one_occurrence_moved_to_another_venue_says_where_and_a_series_move_says_all(
    session: Session, settings: NotificationsSettings
) -> None:
    people = _rashid_and_norhana(session, settings)
    norhana = people[1]
    event_id = uuid.uuid4()
    monday = dt.datetime(2026, 12, 14, 8, 0, tzinfo=MANILA)
    at = dt.datetime(2026, 12, 10, 9, 0, tzinfo=MANILA)

    def told(payload: CalendarEventCreated) -> list[str]:
        known = {n.id for n in inbox(session, norhana)}
        kind = EVENT_CREATED if payload.version == 1 else EVENT_UPDATED
        handle(session, settings, event(kind, payload, event_id, at=at))
        return [n.title for n in inbox(session, norhana) if n.id not in known]

    def override(day: int, **values: object) -> dict[str, object]:
        return {"occurrence_date": dt.date(2026, 12, day), **values}

    assert told(_stand_up(event_id, people, monday, 15, "20261225")) == [
        "You are invited to \u201cMission stand-up\u201d, every weekday, 08:00\u201308:15, "
        "Mon 14 Dec 2026 \u2013 Fri 25 Dec 2026"
    ]
    wednesday = dt.datetime(2026, 12, 16, 7, 30, tzinfo=MANILA)
    moved = override(
        16,
        start=wednesday,
        end=wednesday + dt.timedelta(minutes=15),
        venue="Hotel lobby, Marawi",
    )
    payload = _stand_up(event_id, people, monday, 15, "20261225", version=2, overrides=[moved])
    rule = f"{payload.recurrence}\nEXDATE:20261216T080000\nRDATE:20261216T073000"
    assert told(payload.model_copy(update={"recurrence": rule})) == [
        "\u201cMission stand-up\u201d changed: Wed 16 Dec 2026, 08:00\u201308:15 moved to "
        "07:30\u201307:45, at Hotel lobby, Marawi"
    ]
    # Only another venue, or another title (at the series' time: its rule is unchanged).
    thursday = dt.datetime(2026, 12, 17, 8, 0, tzinfo=MANILA)
    elsewhere = override(
        17, start=thursday, end=thursday + dt.timedelta(minutes=15), venue="Annex room"
    )
    payload = _stand_up(
        event_id, people, monday, 15, "20261225", version=3, overrides=[moved, elsewhere]
    )
    assert told(payload.model_copy(update={"recurrence": rule})) == [
        "\u201cMission stand-up\u201d changed: Thu 17 Dec 2026, 08:00\u201308:15 now at Annex room"
    ]
    renamed = {**elsewhere, "title": "Stand-up with the mayor"}
    payload = _stand_up(
        event_id, people, monday, 15, "20261225", version=4, overrides=[moved, renamed]
    )
    assert told(payload.model_copy(update={"recurrence": rule})) == [
        "\u201cMission stand-up\u201d changed: Thu 17 Dec 2026, 08:00\u201308:15 renamed "
        "\u201cStand-up with the mayor\u201d"
    ]
    # The whole series an hour earlier: every occurrence, not "now Mon 14 Dec".
    assert told(
        _stand_up(event_id, people, monday - dt.timedelta(hours=1), 20, "20261225", version=5)
    ) == ["\u201cMission stand-up\u201d changed: all occurrences now 07:00\u201307:20"]


def test_many_cancelled_days_are_counted_not_cut_off(
    session: Session, settings: NotificationsSettings
) -> None:
    people = _rashid_and_norhana(session, settings)
    norhana = people[1]
    event_id = uuid.uuid4()
    monday = dt.datetime(2026, 12, 14, 7, 0, tzinfo=MANILA)
    at = dt.datetime(2026, 12, 10, 9, 0, tzinfo=MANILA)
    created = _stand_up(event_id, people, monday, 20, "20261225")
    handle(session, settings, event(EVENT_CREATED, created, event_id, at=at))
    week = ",".join(f"202612{day}T070000" for day in range(21, 26))
    cancelled = _stand_up(
        event_id,
        people,
        monday,
        20,
        "20261225",
        version=2,
        overrides=[
            {"occurrence_date": dt.date(2026, 12, day), "cancelled": True} for day in range(21, 26)
        ],
    )
    rule = f"{cancelled.recurrence}\nEXDATE:{week}"
    handle(
        session,
        settings,
        event(EVENT_UPDATED, cancelled.model_copy(update={"recurrence": rule}), event_id, at=at),
    )
    assert inbox(session, norhana)[-1].title == (
        "\u201cMission stand-up\u201d changed: Mon 21, Tue 22, Wed 23 Dec 2026 and 2 more are "
        "cancelled"
    )
