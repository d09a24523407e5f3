package {{PACKAGE}}

import com.fasterxml.jackson.databind.ObjectMapper
import org.awaitility.Awaitility.await
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith
import org.springframework.beans.factory.annotation.Autowired
import org.springframework.boot.test.context.SpringBootTest
import org.springframework.boot.test.system.CapturedOutput
import org.springframework.boot.test.system.OutputCaptureExtension
import org.springframework.boot.test.web.client.TestRestTemplate
import org.springframework.boot.test.web.client.getForEntity
import org.springframework.boot.test.web.client.postForEntity
import org.springframework.http.HttpEntity
import org.springframework.http.HttpHeaders
import org.springframework.http.HttpStatus
import org.springframework.http.MediaType
import java.time.Duration
import java.time.Instant
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * The whole service on a real port: endpoints, Prometheus metrics and JSON logs
 * as the blissful-infra tools read them. Dependencies may be up or not; /ready
 * must name each of them either way.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
{{#if kafka}}
    // The Kafka consumer starts only where the broker's name resolves; "kafka" does inside Compose.
    properties = ["spring.kafka.bootstrap-servers=\${KAFKA_BOOTSTRAP_SERVERS:localhost:9092}"],
{{/if}}
)
@ExtendWith(OutputCaptureExtension::class)
class ApplicationIT(
    @Autowired private val http: TestRestTemplate,
    @Autowired private val objectMapper: ObjectMapper,
) {
{{#if database,kafka}}
    private val dependencies = listOf(
{{#if kafka}}
        "kafka",
{{/if}}
{{#if postgres}}
        "postgres",
{{/if}}
{{#if redis}}
        "redis",
{{/if}}
    )
{{else}}
    private val dependencies = emptyList<String>()
{{/if}}

    @Test
    fun `hello and echo answer over HTTP`() {
        val hello = http.getForEntity<String>("/hello/world")
        assertEquals(HttpStatus.OK, hello.statusCode)
        assertEquals("""{"message":"Hello, world!"}""", hello.body)

        val body = """{"a": [1, 2]}"""
        val headers = HttpHeaders().apply { contentType = MediaType.APPLICATION_JSON }
        val echo = http.postForEntity<String>("/echo", HttpEntity(body, headers))
        assertEquals(HttpStatus.OK, echo.statusCode)
        assertEquals(body, echo.body)
    }

    @Test
    fun `ready names every chosen dependency, and is 200 only when all are up`() {
        val ready = http.getForEntity<String>("/ready")
        val report = objectMapper.readTree(ready.body)
        val checks = report["checks"].properties().associate { it.key to it.value.asText() }
        assertEquals(dependencies.toSet(), checks.keys)
        val allUp = checks.values.all { it == "up" }
        assertEquals(if (allUp) HttpStatus.OK else HttpStatus.SERVICE_UNAVAILABLE, ready.statusCode)
        assertEquals(if (allUp) "ready" else "not ready", report["status"].asText())
    }

    @Test
    fun `startup tells when and how long`() {
        val startup = objectMapper.readTree(http.getForEntity<String>("/startup").body)
        assertTrue(Instant.parse(startup["started_at"].asText()) < Instant.now())
        assertTrue(startup["startup_ms"].asLong() > 0)
    }

    @Test
    fun `metrics count requests by route pattern and status, with the contract's buckets`() {
        http.getForEntity<String>("/hello/metrics")
        val metrics = http.getForEntity<String>("/actuator/prometheus").body!!.lines()

        assertTrue(
            metrics.any {
                it.startsWith("http_server_requests_seconds_count{") &&
                    "uri=\"/hello/{name}\"" in it && "status=\"200\"" in it && "method=\"GET\"" in it
            },
            "no request count for /hello/{name}",
        )
        val bounds = metrics.filter { it.startsWith("http_server_requests_seconds_bucket{") }
            .mapNotNull { Regex("le=\"([^\"]+)\"").find(it)?.groupValues?.get(1)?.toDoubleOrNull() }
            .toSet()
        val contract = listOf(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
        assertTrue(bounds.containsAll(contract), "buckets $bounds lack some of $contract")
    }

    @Test
    fun `every request is logged as one JSON line with the contract's fields`(output: CapturedOutput) {
        http.getForEntity<String>("/hello/logs")

        // The line is written once the response is on its way: wait for it.
        val line = await().atMost(Duration.ofSeconds(5)).until(
            { output.out.lines().firstOrNull { "\"path\":\"/hello/logs\"" in it } },
            { it != null },
        )!!
        val record = objectMapper.readTree(line)
        for (field in listOf("@timestamp", "level", "message", "logger_name", "duration_ms")) {
            assertTrue(record.has(field), "no $field in $line")
        }
        Instant.parse(record["@timestamp"].asText())
        assertEquals("INFO", record["level"].asText())
        assertEquals("GET", record["method"].asText())
        assertEquals(200, record["status"].asInt())
        assertTrue(record["duration_ms"].isNumber)
    }
}
