// Parses Groovy files as Jenkins would (syntax only: Jenkins' own steps are not resolved here).
// Usage: groovy groovy-syntax.groovy FILE...; one line per file, exit status 1 when any does not parse.
import org.codehaus.groovy.control.CompilationFailedException
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.Phases

int failed = 0
for (String path : args) {
    CompilationUnit unit = new CompilationUnit()
    unit.addSource(new File(path))
    try {
        unit.compile(Phases.CONVERSION)
        println "parsed ${path}"
    } catch (CompilationFailedException error) {
        failed++
        println "${path}: ${error.message}"
    }
}
System.exit(failed ? 1 : 0)
