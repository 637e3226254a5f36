"""Realistic CI/CD failures and the fixes a team uses (each string ≤ 200 characters), for tests that train."""

from __future__ import annotations

PAIRS: list[tuple[str, str]] = [
    (
        "npm ci fails with ERESOLVE unable to resolve dependency tree",
        "Run npm ci --legacy-peer-deps or pin the peer dependency in package.json.",
    ),
    (
        "Docker build fails: no space left on device on the runner",
        "Run docker system prune -af before the build step to free the runner's disk.",
    ),
    (
        "pytest fails with ModuleNotFoundError: No module named 'app'",
        "Set PYTHONPATH to the repository root in the test job.",
    ),
    (
        "Maven build fails: Could not resolve dependencies from the internal Nexus",
        "Renew the Nexus token in the CI secrets and rerun the job.",
    ),
    (
        "Gradle daemon killed with OutOfMemoryError: Java heap space",
        "Set org.gradle.jvmargs=-Xmx4g in gradle.properties.",
    ),
    (
        "git clone fails in CI with Permission denied (publickey)",
        "Add the deploy key to the repository and load it with ssh-agent in the job.",
    ),
    (
        "Terraform plan fails: Error acquiring the state lock",
        "Run terraform force-unlock with the lock ID after checking no apply is running.",
    ),
    (
        "Helm upgrade fails: another operation (install/upgrade/rollback) is in progress",
        "Run helm rollback to the last good revision, then upgrade again.",
    ),
    (
        "kubectl apply fails: the server has asked for the client to provide credentials",
        "Refresh the kubeconfig secret used by the deploy job.",
    ),
    ("Go build fails: missing go.sum entry for module", "Run go mod tidy and commit the updated go.sum."),
    (
        "Cargo build fails: failed to select a version for the requirement",
        "Run cargo update for that crate and commit Cargo.lock.",
    ),
    ("Jest tests time out after 5000 ms in CI only", "Raise jest testTimeout to 20000 in jest.config.js for CI."),
    (
        "Docker push denied: requested access to the resource is denied",
        "Log in to the registry with the CI robot account before docker push.",
    ),
    (
        "SonarQube quality gate fails on coverage below 80%",
        "Add tests for the changed files until coverage is back over 80%.",
    ),
    (
        "pip install fails: SSL certificate verify failed behind the proxy",
        "Point PIP_CERT at the company CA bundle in the CI image.",
    ),
    (
        "Integration tests fail: connection refused to localhost:5432",
        "Add a postgres service container and wait for it with pg_isready.",
    ),
    (
        "Pipeline stuck: no runner picked up the job for 30 minutes",
        "Check the runner tags in .gitlab-ci.yml match an online runner.",
    ),
    (
        "Artifact upload fails: file exceeds the 100 MB limit",
        "Exclude build caches from the artifact paths or raise the size limit.",
    ),
    (
        "yarn install fails: integrity check failed for a package",
        "Delete yarn.lock entries for the package and run yarn install again.",
    ),
    (
        "ESLint step fails after a Node upgrade with Unexpected token",
        "Update eslint and its parser to versions that support the new syntax.",
    ),
    (
        "Webpack build runs out of memory: JavaScript heap out of memory",
        "Set NODE_OPTIONS=--max-old-space-size=4096 in the build job.",
    ),
    (
        "Flaky Selenium test fails with StaleElementReferenceException",
        "Wait for the element again with WebDriverWait before clicking it.",
    ),
    (
        "Docker build cannot reach the apt mirror: Temporary failure resolving",
        "Pass the proxy as build args HTTP_PROXY and HTTPS_PROXY to docker build.",
    ),
    (
        "Ansible deploy fails: UNREACHABLE! Failed to connect to the host via ssh",
        "Add the host key to known_hosts in the deploy job and check the inventory IP.",
    ),
    (
        "Unit tests fail only on the Windows runner with path errors",
        "Use os.path.join instead of hard-coded slashes in the tests.",
    ),
    ("Release job fails: tag already exists", "Bump the version in the manifest before tagging the release."),
    (
        "Snyk scan fails the build on a high severity vulnerability in lodash",
        "Upgrade lodash to the patched version and rerun the scan.",
    ),
    (
        "CocoaPods install fails: CDN trunk URL couldn't be downloaded",
        "Run pod repo update in the iOS job before pod install.",
    ),
    ("Android build fails: SDK location not found", "Set ANDROID_HOME in the CI environment to the SDK path."),
    (
        "Cypress fails to start: Xvfb exited with a non zero code",
        "Use the cypress/included image, which ships Xvfb configured.",
    ),
    ("Mypy step fails: Library stubs not installed for requests", "Add types-requests to requirements-dev.txt."),
    ("Build fails due to missing dependency", "Add package X to requirements.txt."),
    (
        "Deployment to staging fails the health check after rollout",
        "Roll back with kubectl rollout undo and check the readiness probe path.",
    ),
    (
        "CI cache restore fails: cache key not found, build is slow",
        "Key the cache on the lockfile hash so it is restored between runs.",
    ),
    (
        "SSH deploy fails: Host key verification failed",
        "Add the server's key to known_hosts with ssh-keyscan in the job.",
    ),
    ("PHPUnit fails: Allowed memory size exhausted", "Run phpunit with -d memory_limit=-1 in CI."),
    (
        "dotnet restore fails: Unable to load the service index for source",
        "Add the internal NuGet feed credentials to nuget.config via secrets.",
    ),
    ("Lint job fails: black would reformat files", "Run black on the changed files and commit the result."),
    (
        "Job fails: exec format error when running the image",
        "Build the image for linux/amd64, the runner's architecture.",
    ),
    (
        "Pipeline fails: YAML syntax error in .gitlab-ci.yml",
        "Validate the file with the CI lint tool and fix the indentation.",
    ),
]


def as_dicts(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"issue": issue, "resolution": resolution} for issue, resolution in pairs]
