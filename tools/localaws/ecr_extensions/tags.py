"""ECR's tag limit, which moto 5.2 does not enforce: a repository holds at most 50 tags, not counting the ones whose
key starts with `aws:` (AWS's own). TagResource and CreateRepository over it fail with `TooManyTagsException`
(HTTP 400) and change nothing, as ECR does."""

from __future__ import annotations

from .common import error

MAX_TAGS = 50


def counted(keys) -> int:
    return sum(1 for key in keys if not str(key).lower().startswith("aws:"))


def too_many_tags():
    return error(
        "TooManyTagsException",
        f"The list of tags on the repository is over the limit. The maximum number of tags that can be applied to "
        f"a repository is {MAX_TAGS}.",
    )


def limited_tag_resource(original):
    def tag_resource(self, arn: str, tags: list[dict[str, str]]) -> None:
        # pylint: disable=protected-access
        resource = self._parse_resource_arn(arn)
        repo = self._get_repository(resource.repo_name, resource.account_id)
        have = set(self.tagger.get_tag_dict_for_resource(repo.arn))
        if counted(have | {tag["Key"] for tag in tags or []}) > MAX_TAGS:
            raise too_many_tags()
        return original(self, arn, tags)

    return tag_resource


def limited_create_repository(original):
    def create_repository(self, *args, **kwargs):
        tags = kwargs.get("tags")
        if tags is None and len(args) > 5:
            tags = args[5]
        if counted({tag["Key"] for tag in tags or []}) > MAX_TAGS:
            raise too_many_tags()
        return original(self, *args, **kwargs)

    return create_repository
