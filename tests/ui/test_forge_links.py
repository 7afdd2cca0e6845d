"""A run's commit links to its forge's web page: GitHub, GitLab and Bitbucket remotes, https or
ssh, become the https commit URL; anything else is shown without a link."""

from __future__ import annotations

import pytest

from cairn.ui.forge_links import commit_url

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("remote, page", [
    ("https://github.com/acme/churn.git", f"https://github.com/acme/churn/commit/{SHA}"),
    ("https://github.com/acme/churn", f"https://github.com/acme/churn/commit/{SHA}"),
    ("git@github.com:acme/churn.git", f"https://github.com/acme/churn/commit/{SHA}"),
    ("ssh://git@github.com/acme/churn.git", f"https://github.com/acme/churn/commit/{SHA}"),
    ("https://gitlab.com/group/sub/churn.git", f"https://gitlab.com/group/sub/churn/-/commit/{SHA}"),
    ("git@gitlab.com:group/churn.git", f"https://gitlab.com/group/churn/-/commit/{SHA}"),
    ("https://gitlab.example.org/data/churn.git", f"https://gitlab.example.org/data/churn/-/commit/{SHA}"),
    ("https://ann@bitbucket.org/team/churn.git", f"https://bitbucket.org/team/churn/commits/{SHA}"),
    ("git@bitbucket.org:team/churn.git", f"https://bitbucket.org/team/churn/commits/{SHA}"),
])  # fmt: skip
def test_known_forges_link_to_the_commit_page(remote: str, page: str):
    assert commit_url(remote, SHA) == page


@pytest.mark.parametrize("remote, commit", [
    ("https://git.example.com/acme/churn.git", SHA),  # not a forge Cairn knows
    ("file:///srv/git/churn", SHA),
    ("/srv/git/churn", SHA),
    ("git@github.com:acme", SHA),  # no repository
    ("https://github.com/acme/../evil", SHA),
    ("https://github.com/acme/churn", "HEAD; rm -rf"),  # not a commit id
    ("javascript:alert(1)//github.com/a/b", SHA),
    (None, SHA),
    ("https://github.com/acme/churn", None),
])  # fmt: skip
def test_anything_else_has_no_link(remote: str | None, commit: str | None):
    assert commit_url(remote, commit) is None
