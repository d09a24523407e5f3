package {{PACKAGE}}.web

import jakarta.servlet.FilterChain
import jakarta.servlet.http.HttpServletRequest
import jakarta.servlet.http.HttpServletResponse
import net.logstash.logback.argument.StructuredArguments.v
import org.slf4j.LoggerFactory
import org.springframework.http.HttpStatus
import org.springframework.stereotype.Component
import org.springframework.web.filter.OncePerRequestFilter

/**
 * One log line per request. The method, path, status and duration_ms go into
 * the JSON record as fields of their own (structured arguments) and into the
 * message for a person; 5xx answers are logged as warnings.
 */
@Component
class RequestLoggingFilter : OncePerRequestFilter() {
    override fun doFilterInternal(request: HttpServletRequest, response: HttpServletResponse, chain: FilterChain) {
        val start = System.nanoTime()
        // What the client gets when the chain throws: the container answers 500 once this filter is left.
        var status = HttpStatus.INTERNAL_SERVER_ERROR.value()
        try {
            chain.doFilter(request, response)
            status = response.status
        } finally {
            val durationMs = (System.nanoTime() - start) / 1_000 / 1_000.0
            val fields = arrayOf<Any>(
                v("method", request.method),
                v("path", request.requestURI),
                v("status", status),
                v("duration_ms", durationMs),
            )
            if (status >= 500) log.warn(FORMAT, *fields) else log.info(FORMAT, *fields)
        }
    }

    private companion object {
        const val FORMAT = "{} {} {} {} ms"
        val log = LoggerFactory.getLogger(RequestLoggingFilter::class.java)
    }
}
