package {{PACKAGE}}.controller

import {{PACKAGE}}.health.Readiness
import {{PACKAGE}}.health.ReadinessService
import {{PACKAGE}}.health.StartupTracker
import com.fasterxml.jackson.databind.DeserializationFeature
import com.fasterxml.jackson.databind.ObjectMapper
import jakarta.servlet.http.HttpServletRequest
import org.springframework.http.HttpStatus
import org.springframework.http.MediaType
import org.springframework.http.ResponseEntity
import org.springframework.web.bind.annotation.GetMapping
import org.springframework.web.bind.annotation.PathVariable
import org.springframework.web.bind.annotation.PostMapping
import org.springframework.web.bind.annotation.RestController
import java.io.IOException

/**
 * The endpoints every blissful-infra service answers in the same way, so that
 * health checks, load tests and chaos experiments work on any of them.
 */
@RestController
class HealthController(
    private val readiness: ReadinessService,
    private val startupTracker: StartupTracker,
    objectMapper: ObjectMapper,
) {
    // "{} x" is not JSON either: without this Jackson stops after the first value.
    private val jsonReader = objectMapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)

    @GetMapping("/health")
    fun health() = Status("ok")

    @GetMapping("/live")
    fun live() = Status("alive")

    @GetMapping("/hello")
    fun hello() = Message("Hello, World!")

    @GetMapping("/hello/{name}")
    fun hello(@PathVariable name: String) = Message("Hello, $name!")

    /** Answers the body byte for byte as it came, once it is known to be JSON. */
    @PostMapping("/echo", produces = [MediaType.APPLICATION_JSON_VALUE])
    fun echo(request: HttpServletRequest): ResponseEntity<Any> {
        // The stream itself rather than @RequestBody: Spring rebuilds a form-encoded body
        // (curl -d's default type) from its parameters, which are not the bytes sent.
        val body = request.inputStream.readAllBytes()
        return if (isJson(body)) {
            ResponseEntity.ok(body)
        } else {
            ResponseEntity.badRequest().body(ErrorBody("request body is not JSON"))
        }
    }

    @GetMapping("/ready")
    fun ready(): ResponseEntity<Readiness> {
        val report = readiness.check()
        val status = if (report.isReady) HttpStatus.OK else HttpStatus.SERVICE_UNAVAILABLE
        return ResponseEntity.status(status).body(report)
    }

    /** When the service started and how long it took; 503 in the moment before it is ready. */
    @GetMapping("/startup")
    fun startup(): ResponseEntity<Any> =
        startupTracker.startup?.let { ResponseEntity.ok(it) }
            ?: ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(Status("starting"))

    private fun isJson(body: ByteArray): Boolean =
        try {
            // An empty body reads as a missing node, not as an error.
            !jsonReader.readTree(body).isMissingNode
        } catch (e: IOException) {
            false
        }

    data class Status(val status: String)

    data class Message(val message: String)

    data class ErrorBody(val error: String)
}
