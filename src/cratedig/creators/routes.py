"""HTTP routes of /api/v1/creators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from cratedig.artifacts import CREATOR_AVATARS
from cratedig.creators.repository import CreatorRepository
from cratedig.creators.schemas import CreatorOut
from cratedig.deps import SessionDep, StorageDep
from cratedig.errors import ApiError, error_responses
from cratedig.http.caching import LISTING, NOT_MODIFIED, cached_body
from cratedig.samples.documents import avatar_version, media_url
from cratedig.samples.query import MAX_LIMIT, InvalidCursorError, SampleSort
from cratedig.samples.schemas import NO_NUL
from cratedig.samples.service import sample_out

router = APIRouter(prefix="/api/v1/creators", tags=["creators"])


@router.get(
    "/{username}",
    response_model=CreatorOut,
    responses={304: NOT_MODIFIED, **error_responses(404, 422, 503)},
)
def get_creator(
    request: Request,
    username: Annotated[str, Path(max_length=128, pattern=NO_NUL)],
    session: SessionDep,
    storage: StorageDep,
    sort: SampleSort = SampleSort.NEWEST,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 24,
) -> Response:
    """A creator's profile with their published samples (one page)."""
    repo = CreatorRepository(session)
    creator = repo.get_by_username(username)
    if creator is None:
        raise ApiError(404, "not_found", f"no creator @{username}", "username")
    try:
        page = repo.samples_of(creator, sort=sort, cursor=cursor, limit=limit)
    except InvalidCursorError as error:
        raise ApiError(422, "invalid_cursor", f"cursor: {error}", "cursor") from error
    version = avatar_version(creator.last_fetched_at)
    profile = CreatorOut(
        id=creator.id,
        username=creator.username,
        source_id=creator.source_id,
        sec_uid=creator.sec_uid,
        nickname=creator.nickname,
        signature=creator.signature,
        verified=creator.verified,
        follower_count=creator.follower_count,
        following_count=creator.following_count,
        heart_count=creator.heart_count,
        video_count=creator.video_count,
        **{
            avatar.url_field: media_url(storage, avatar.stored(creator), version)
            for avatar in CREATOR_AVATARS
        },
        last_fetched_at=creator.last_fetched_at,
        samples=[sample_out(sample, storage) for sample in page.items],
        next_cursor=page.next_cursor,
    )
    return cached_body(request, profile.model_dump_json().encode(), LISTING)
