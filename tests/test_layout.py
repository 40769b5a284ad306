"""`make run`'s layout (launcher/layout.py): how many replicas, which ports, nginx's config.

Pure functions, no processes; tests/test_replicas.py starts the layout for real.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from launcher import nginx
from launcher.layout import (
    MAX_REPLICAS,
    MEMORY_PER_REPLICA,
    LayoutError,
    choose_replicas,
    plan,
)
from launcher.services import Ports

PLENTY = 64 * 2**30


@pytest.mark.parametrize(("cpus", "expected"), [(1, 2), (2, 2), (4, 4), (64, MAX_REPLICAS)])
def test_one_replica_per_core_at_least_two_at_most_the_cap(cpus: int, expected: int) -> None:
    choice = choose_replicas({}, cpus=cpus, memory=PLENTY, nginx_found=True)
    assert choice.count == expected


def test_hotline_replicas_overrides_the_core_count() -> None:
    assert choose_replicas({"HOTLINE_REPLICAS": "1"}, cpus=8, memory=PLENTY,
                           nginx_found=True).count == 1
    assert choose_replicas({"HOTLINE_REPLICAS": "3"}, cpus=2, memory=PLENTY,
                           nginx_found=True).why == "HOTLINE_REPLICAS=3"
    for wrong in ("0", "-2", "two"):
        with pytest.raises(LayoutError):
            choose_replicas({"HOTLINE_REPLICAS": wrong}, cpus=2, memory=PLENTY, nginx_found=True)


def test_the_memory_caps_the_default_but_not_an_explicit_count() -> None:
    small = 2 * MEMORY_PER_REPLICA + 1
    assert choose_replicas({}, cpus=8, memory=small, nginx_found=True).count == 2
    assert choose_replicas({}, cpus=8, memory=MEMORY_PER_REPLICA // 2,
                           nginx_found=True).count == 1
    assert choose_replicas({"HOTLINE_REPLICAS": "4"}, cpus=8, memory=small,
                           nginx_found=True).count == 4


def test_without_nginx_one_replica_and_the_reason_for_the_banner() -> None:
    choice = choose_replicas({}, cpus=4, memory=PLENTY, nginx_found=False)
    assert choice.count == 1 and "nginx is not installed" in choice.why
    assert choose_replicas({"HOTLINE_REPLICAS": "1"}, cpus=4, nginx_found=False).count == 1


def test_one_replica_is_today_s_layout_on_the_public_ports(tmp_path: Path) -> None:
    layout = plan(Ports(rasa=5005, actions=5055, console=5080), 1, tmp_path)
    assert not layout.behind_nginx and layout.env() == {}
    assert layout.nginx_service("t") is None
    [rasa] = layout.rasa_services(tmp_path, tmp_path / "model.tar.gz", "t")
    [actions] = layout.action_services(tmp_path)
    assert rasa.name == "rasa" and "5005" in rasa.args
    assert actions.name == "actions" and "5055" in actions.args


def test_replicas_sit_on_internal_ports_behind_nginx_on_the_public_ones(tmp_path: Path) -> None:
    ports = Ports(rasa=5005, actions=5055, console=5080)
    offered = iter([5005, 6001, 5080, 6002, 6003, 6004, 6005, 6006])  # public ones skipped
    layout = plan(ports, 3, tmp_path / "nginx", port_finder=lambda: next(offered))
    assert layout.rasa_ports == (6001, 6002, 6003)
    assert layout.action_ports == (6004, 6005, 6006)
    assert layout.env() == {"WEBCHAT_SHARED_ROOMS": "1"}
    rasa = layout.rasa_services(tmp_path, tmp_path / "model.tar.gz", "t")
    assert [s.name for s in rasa] == ["rasa-1", "rasa-2", "rasa-3"]
    assert all(s.args[s.args.index("--interface") + 1] == "127.0.0.1" for s in rasa)
    assert [s.args[s.args.index("--port") + 1] for s in rasa] == ["6001", "6002", "6003"]
    actions = layout.action_services(tmp_path)
    assert [s.args[s.args.index("--port") + 1] for s in actions] == ["6004", "6005", "6006"]

    front = layout.nginx_service("t")
    assert front is not None and front.health_url == "http://127.0.0.1:5005/status?token=t"
    conf = (tmp_path / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    assert not re.search(r"@[A-Z_]+@", conf), "every placeholder is filled"
    assert "listen 127.0.0.1:5005;" in conf and "listen 127.0.0.1:5055;" in conf
    for port in itertools.chain(layout.rasa_ports, layout.action_ports):
        assert f"server 127.0.0.1:{port};" in conf
    webchat = conf[conf.index("upstream hotline_webchat"):conf.index("upstream hotline_actions")]
    assert "hash $remote_addr consistent;" in webchat
    assert conf.count("proxy_set_header Host $http_host;") == 3


def test_nginx_listens_where_rasa_interface_says(tmp_path: Path) -> None:
    conf = nginx.render(tmp_path, 5005, 5055, [6001, 6002], [6003, 6004],
                        front_address="0.0.0.0")  # noqa: S104 - the address under test
    text = conf.read_text(encoding="utf-8")
    assert "listen 0.0.0.0:5005;" in text
    assert "listen 127.0.0.1:5055;" in text  # the action servers stay private


def test_the_banner_says_how_many_replicas_and_why(tmp_path: Path) -> None:
    from launcher.__main__ import _banner, _replicas_line
    from launcher.layout import ReplicaChoice

    ports = Ports(rasa=5005, actions=5055, console=5080)
    offered = iter(range(6001, 6010))
    many = plan(ports, 2, tmp_path, port_finder=lambda: next(offered))
    line = _replicas_line(many, ReplicaChoice(2, "one per core, 2 cores"))
    assert "2 behind nginx on port 5005 (one per core, 2 cores)" in line
    banner = _banner(ports, "t", line, replicas_many=True)
    assert "http://127.0.0.1:5005/webchat/" in banner and "var/nginx/" in banner
    single = _replicas_line(plan(ports, 1, tmp_path),
                            ReplicaChoice(1, "nginx is not installed; apt-get install nginx for 2"))
    assert single.endswith("1, no nginx (nginx is not installed; apt-get install nginx for 2)")
