"""VM1's page in a real browser: submit through the form, review the queue side by side, see stats and versions."""

from __future__ import annotations

import shutil

from selenium.webdriver.common.by import By

from resolver_core.store import SqlitePairStore
from resolver_core.store.base import FeedbackItem, FeedbackPair
from tests.conftest import new_key
from tests.pages.conftest import screenshot, wait_for
from tests.servers import start_server

QUESTION = "Release job dies: the ssh deploy key of the build agent expired"
MODEL_ANSWER = "Restart the build agent"
CORRECTION = "Rotate the deploy key in the CI secrets"
EDITED = "Rotate the deploy key in the CI secrets and re-add its public half to the repository"
SCRIPT_ISSUE = "<img src=x onerror=\"document.title='pwned'\"> helm upgrade times out waiting for pods"


def test_submit_review_and_versions(browser, trained_registry, tmp_path):
    shutil.copytree(trained_registry.data_dir, tmp_path / "data")
    store = SqlitePairStore.in_data_dir(tmp_path / "data")
    pending = FeedbackPair(QUESTION, CORRECTION, "dana", trained_registry.version, MODEL_ANSWER, "key expired")
    (outcome,) = store.apply_feedback([FeedbackItem("ans_page", 1, "corrected", pair=pending)], "vm2-feedback", 1)
    admin_key = new_key()
    env = {
        "DATA_DIR": str(tmp_path / "data"),
        "MODELS_DIR": str(trained_registry.models_dir),
        "SUBMISSION_ADMIN_KEYS": f"root:{admin_key}",
        "SUBMISSION_API_KEYS": f"alice:{new_key()}",
    }
    submission = start_server("submission", env, tmp_path)
    try:
        browser.get(submission.base_url + "/")
        browser.find_element(By.ID, "key").send_keys(admin_key)
        browser.find_element(By.ID, "refresh").click()
        row = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"tr[data-pair='{outcome.pair_id}']"))[0]
        assert row.find_element(By.CSS_SELECTOR, ".question").text == QUESTION
        assert row.find_element(By.CSS_SELECTOR, ".model-answer").text == MODEL_ANSWER
        assert "corrected by dana" in row.text and "key expired" in row.text
        versions = browser.find_element(By.ID, "versions").text
        assert trained_registry.version in versions and "latest" in versions
        assert "1 from VM2 feedback" in browser.find_element(By.ID, "stats").text
        screenshot(browser, tmp_path, "vm1-team")

        browser.find_element(By.ID, "submit-issue").send_keys(SCRIPT_ISSUE)
        browser.find_element(By.ID, "submit-resolution").send_keys("Raise the helm --timeout to 10m")
        browser.find_element(By.ID, "submit").click()
        wait_for(browser, lambda d: "stored as pair" in d.find_element(By.ID, "submit-status").text)
        assert browser.title != "pwned"

        row = browser.find_element(By.CSS_SELECTOR, f"tr[data-pair='{outcome.pair_id}']")  # the queue was redrawn
        fix = row.find_element(By.CSS_SELECTOR, "textarea.fix")
        fix.clear()
        fix.send_keys(EDITED)
        row.find_element(By.CSS_SELECTOR, "button.approve").click()
        wait_for(browser, lambda d: "approved" in d.find_element(By.ID, "queue-status").text)
        assert not browser.find_elements(By.CSS_SELECTOR, f"tr[data-pair='{outcome.pair_id}']")
    finally:
        submission.stop()
    reviewed = store.get(outcome.pair_id)
    assert (reviewed["status"], reviewed["resolution"], reviewed["reviewed_by"]) == ("approved", EDITED, "root")
    (submitted,) = [p for p in store.list(limit=1000) if p["issue"] == SCRIPT_ISSUE]
    assert submitted["submitted_by"] == "root"
    store.close()


def test_a_submitter_key_cannot_approve_and_the_page_says_why(browser, tmp_path):
    store = SqlitePairStore.in_data_dir(tmp_path / "data")
    pair_id, _ = store.add(QUESTION, CORRECTION, "dana", status="pending")
    key = new_key()
    env = {
        "DATA_DIR": str(tmp_path / "data"),
        "MODELS_DIR": str(tmp_path / "models"),
        "SUBMISSION_API_KEYS": f"alice:{key}",
    }
    submission = start_server("submission", env, tmp_path)
    try:
        browser.get(submission.base_url + "/")
        browser.execute_script("sessionStorage.clear()")
        browser.refresh()
        browser.find_element(By.ID, "key").send_keys(key)
        browser.find_element(By.ID, "refresh").click()
        row = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"tr[data-pair='{pair_id}']"))[0]
        row.find_element(By.CSS_SELECTOR, "button.approve").click()
        message = wait_for(browser, lambda d: d.find_element(By.ID, "queue-status").text or None)
        assert message.startswith(f"pair {pair_id}: 401") and "admin key" in message
    finally:
        submission.stop()
    assert store.get(pair_id)["status"] == "pending"
    store.close()
