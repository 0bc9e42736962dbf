# Sourced by tools/fetch-*.sh: a private apt configuration under build/apt
# (its own sources list for trixie, trixie-backports and sid, or the suites
# in APT_SUITES with their own APT directory; its own lists and cache) that
# downloads .deb files (or, with APT_TYPES=deb-src, source packages) without
# installing anything and without touching the machine's apt setup.
#
# After `apt_private_setup NAME`, APT_OPTS holds the apt-get/apt-cache
# options; it returns non-zero (with one warning line naming NAME) when
# apt-get is missing or `apt-get update` fails. The lists are refreshed at
# most once a day, so the fast path makes no network access.

APT=${APT:-$ROOT/build/apt}
APT_OPTS=()

apt_private_setup()
{
	local name=$1 keyring=/usr/share/keyrings/debian-archive-keyring.gpg uri suite
	command -v apt-get >/dev/null || { echo "$name: warning: no apt-get; nothing fetched" >&2; return 1; }
	mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/debs"
	# the archive the machine already uses for bookworm, else Debian's own
	uri=$(sed -n 's/^URIs:[[:space:]]*\(http[^ ]*\/debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
	uri=${uri:-http://deb.debian.org/debian}
	for suite in ${APT_SUITES:-trixie trixie-backports sid}; do
		echo "${APT_TYPES:-deb} [signed-by=$keyring] $uri $suite main"
	done >"$APT/sources.list"
	APT_OPTS=(-o "Dir::Etc::sourcelist=$APT/sources.list" -o Dir::Etc::sourceparts=-
		  -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
		  -o Dir::State::status=/dev/null -o APT::Sandbox::User=root -q)
	if [ -z "$(find "$APT/lists" \( -name '*_Packages*' -o -name '*_Sources*' \) -mmin -1440 2>/dev/null | head -n1)" ]; then
		if ! apt-get "${APT_OPTS[@]}" update >"$APT/update.log" 2>&1; then
			echo "$name: warning: apt-get update with $APT/sources.list failed (see $APT/update.log); nothing fetched" >&2
			return 1
		fi
	fi
	return 0
}
