// ciResolverExplain(): the shared-library step that shows ci-resolver's answer for a failed build in its console
// and keeps it as an artifact. Use it as `post { failure { ciResolverExplain() } }` (docs/ci-integration.md).
//
// Options (all optional):
//   url:           VM2's address (default: the CI_RESOLVER_URL environment variable)
//   log:           a file the build teed its output into; without it the build's own console log is sent
//   credentialsId: a Secret text credential holding VM2's key, when VM2 requires one
//   answer:        where the answer is written (default ci-resolver-answer.txt, archived)
//   maxLines:      console lines sent at most when no log file is given (default 100000)
def call(Map options = [:]) {
    String url = options.url ?: env.CI_RESOLVER_URL
    if (!url) {
        echo 'ci-resolver: no VM2 address: set CI_RESOLVER_URL or pass url: (the build result is unchanged)'
        return
    }
    String log = options.log ?: 'ci-resolver-console.log'
    String answer = options.answer ?: 'ci-resolver-answer.txt'
    if (!options.log) {
        // Reading the build's own console log needs a trusted (global) library: a sandboxed one cannot.
        writeFile file: log, text: currentBuild.rawBuild.getLog((options.maxLines ?: 100000) as int).join('\n')
    }
    List<String> settings = [
        "CI_RESOLVER_URL=${url}",
        "CI_RESOLVER_LOG=${log}",
        "CI_RESOLVER_ANSWER=${answer}",
        "CI_RESOLVER_JOB=${env.JOB_NAME} #${env.BUILD_NUMBER}",
    ]
    String script = libraryResource('ci-resolver/explain.sh')
    withEnv(settings) {
        if (options.credentialsId) {
            withCredentials([string(credentialsId: options.credentialsId, variable: 'CI_RESOLVER_API_KEY')]) {
                sh(label: 'ci-resolver', script: script)
            }
        } else {
            sh(label: 'ci-resolver', script: script)
        }
    }
    archiveArtifacts(artifacts: answer, allowEmptyArchive: true)
}
