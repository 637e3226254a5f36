"""VM2's page in a real browser: ask, see the answer with its evidence, correct it; the correction is stored."""

from __future__ import annotations

import httpx
from selenium.webdriver.common.by import By

from joblog.wrapping import wrap_excerpt
from tests.client.conftest import run_client
from tests.pages.conftest import screenshot, wait_for
from tests.vm2 import EXPORT_KEY

SCRIPT_ISSUE = '<script>document.title="pwned"</script> cargo build fails: linker `cc` not found'
FIX = "Install build-essential in the CI image before cargo build"


def test_ask_then_correct_the_answer(browser, server, vm2, tmp_path):
    browser.get(server.base_url + "/")
    browser.find_element(By.ID, "issue").send_keys(vm2.pairs[0]["issue"])
    browser.find_element(By.ID, "ask").click()
    answer = wait_for(browser, lambda d: d.find_element(By.ID, "answer").text or None)
    assert answer == vm2.pairs[0]["resolution"]
    assert browser.find_element(By.ID, "kind").text == "Known fix"
    evidence = browser.find_elements(By.CSS_SELECTOR, "#evidence li")
    assert evidence and vm2.pairs[0]["issue"] in evidence[0].text and "score" in evidence[0].text
    screenshot(browser, tmp_path, "vm2-ask")

    browser.find_element(By.ID, "issue").clear()
    browser.find_element(By.ID, "issue").send_keys(SCRIPT_ISSUE)
    browser.find_element(By.ID, "ask").click()
    wait_for(
        browser,
        lambda d: (
            "ms" in d.find_element(By.ID, "ask-status").text and d.find_elements(By.XPATH, "//ol[@id='evidence']/li")
        ),
    )
    browser.find_element(By.ID, "correct").click()
    browser.find_element(By.ID, "correction").send_keys(FIX)
    browser.find_element(By.ID, "send-correction").click()
    wait_for(browser, lambda d: "Thank you" in d.find_element(By.ID, "feedback-status").text)
    assert browser.find_element(By.ID, "accept").get_attribute("disabled") is not None  # once per answer
    assert browser.title != "pwned" and not browser.find_elements(By.CSS_SELECTOR, "main script")
    screenshot(browser, tmp_path, "vm2-corrected")

    items = httpx.get(f"{server.base_url}/feedback/export", headers={"X-API-Key": EXPORT_KEY}, timeout=30).json()
    (item,) = [i for i in items["items"] if i["question"] == SCRIPT_ISSUE]
    assert (item["verdict"], item["correction"]) == ("corrected", FIX)


def test_a_bad_correction_shows_the_servers_message(browser, server, vm2):
    browser.get(server.base_url + "/")
    browser.find_element(By.ID, "issue").send_keys(vm2.pairs[1]["issue"])
    browser.find_element(By.ID, "ask").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "answer").text or None)
    browser.find_element(By.ID, "correct").click()
    browser.find_element(By.ID, "correction").send_keys("!!")
    browser.find_element(By.ID, "send-correction").click()
    message = wait_for(browser, lambda d: d.find_element(By.ID, "feedback-status").text or None)
    assert message.startswith("422") and "(correction)" in message


def test_a_log_file_or_a_pasted_log_is_answered_with_the_lines_it_matched(browser, server, tmp_path):
    failure = "E   ModuleNotFoundError: No module named 'app'"
    log = wrap_excerpt(
        f"tests/test_health.py:3: in <module>\n    from app.main import create_app\n{failure}",
        "python",
        seed=11,
        size_bytes=60_000,
    )
    path = tmp_path / "job.log"
    path.write_bytes(log.data)
    browser.get(server.base_url + "/")
    browser.find_element(By.ID, "log-file").send_keys(str(path))
    browser.find_element(By.ID, "ask").click()
    signature = wait_for(browser, lambda d: d.find_element(By.ID, "signature").text or None)
    number = next(n for n, line in enumerate(log.data.decode().split("\n"), start=1) if failure in line)
    assert f"{number} | {failure}" in signature
    assert browser.find_element(By.ID, "answer").text and "failure" in browser.find_element(By.ID, "log-about").text
    screenshot(browser, tmp_path, "vm2-log")

    browser.get(server.base_url + "/")
    pasted = "\n".join([f"step {n}: ok" for n in range(24)] + [failure, "Error: Process completed with exit code 1."])
    browser.find_element(By.ID, "issue").send_keys(pasted)
    browser.find_element(By.ID, "ask").click()
    signature = wait_for(browser, lambda d: d.find_element(By.ID, "signature").text or None)
    assert f"25 | {failure}" in signature


def test_pages_are_served_with_a_strict_policy_and_only_known_assets(server):
    page = httpx.get(server.base_url + "/", timeout=30)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline code: the policy would block it anyway
    script = httpx.get(server.base_url + "/assets/ask.js", timeout=30)
    assert script.headers["content-type"].startswith("text/javascript") and "textContent" in script.text
    for name in ("../app.py", "app.py", "%2e%2e%2fapp.py"):
        missing = httpx.get(f"{server.base_url}/assets/{name}", timeout=30)
        assert missing.status_code == 404 and "error" in missing.json()


def test_the_link_a_ci_job_prints_opens_that_answer_for_feedback(browser, server, tmp_path):
    failure = "E   ModuleNotFoundError: No module named 'app'"
    log = tmp_path / "job.log"
    log.write_bytes(wrap_excerpt(f"    from app.main import create_app\n{failure}", "python", 5, 40_000).data)
    printed = run_client("explain", str(log), env={"CI_RESOLVER_URL": server.base_url}).stdout.decode()
    link = next(line for line in printed.splitlines() if "/?answer=ans_" in line).strip()
    browser.get(link)
    answer = wait_for(browser, lambda d: d.find_element(By.ID, "answer").text or None)
    assert answer in printed and failure in browser.find_element(By.ID, "signature").text
    assert "answered" in browser.find_element(By.ID, "ask-status").text
    browser.find_element(By.ID, "accept").click()
    wait_for(browser, lambda d: "Thank you" in d.find_element(By.ID, "feedback-status").text)
    screenshot(browser, tmp_path, "vm2-answer-from-ci")

    answer_id = link.rsplit("=", 1)[1]
    recorded = httpx.get(f"{server.base_url}/answers/{answer_id}", timeout=30).json()
    assert recorded["verdict"] == "accepted" and recorded["log"]["fingerprint"] in printed
    browser.get(link)
    said = wait_for(browser, lambda d: d.find_element(By.ID, "feedback-status").text or None)
    assert said == "feedback already given: accepted"
    assert browser.find_element(By.ID, "accept").get_attribute("disabled") is not None
