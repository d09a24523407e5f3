package {{PACKAGE}}.controller

import {{PACKAGE}}.health.Readiness
import {{PACKAGE}}.health.ReadinessService
import {{PACKAGE}}.health.Startup
import {{PACKAGE}}.health.StartupTracker
import com.ninjasquad.springmockk.MockkBean
import io.mockk.every
import org.junit.jupiter.api.Test
import org.springframework.beans.factory.annotation.Autowired
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest
import org.springframework.http.MediaType
import org.springframework.test.web.servlet.MockMvc
import org.springframework.test.web.servlet.get
import org.springframework.test.web.servlet.post

@WebMvcTest(HealthController::class)
class HealthControllerTest(@Autowired private val mvc: MockMvc) {
    @MockkBean
    private lateinit var readiness: ReadinessService

    @MockkBean
    private lateinit var startupTracker: StartupTracker

    @Test
    fun `health, live and hello answer the contract's bodies`() {
        expectJson("/health", """{"status":"ok"}""")
        expectJson("/live", """{"status":"alive"}""")
        expectJson("/hello", """{"message":"Hello, World!"}""")
        expectJson("/hello/world", """{"message":"Hello, world!"}""")
    }

    @Test
    fun `hello escapes the name it greets`() {
        expectJson("/hello/a\"b", """{"message":"Hello, a\"b!"}""")
    }

    @Test
    fun `echo answers the body exactly as it was sent`() {
        val body = """{ "list": [1, 2.50, "três"],  "nested": {"x": null} }"""
        mvc.post("/echo") {
            contentType = MediaType.APPLICATION_JSON
            content = body.toByteArray()
        }.andExpect {
            status { isOk() }
            content { contentTypeCompatibleWith(MediaType.APPLICATION_JSON) }
            content { bytes(body.toByteArray()) }
        }
    }

    @Test
    fun `echo takes JSON sent as a form too, as curl -d sends it`() {
        mvc.post("/echo") {
            contentType = MediaType.APPLICATION_FORM_URLENCODED
            content = """{"a":1}"""
        }.andExpect {
            status { isOk() }
            content { string("""{"a":1}""") }
        }
    }

    @Test
    fun `echo refuses what is not JSON`() {
        for (body in listOf("""{"a":""", "not json", "{} trailing", "")) {
            mvc.post("/echo") {
                contentType = MediaType.APPLICATION_JSON
                content = body
            }.andExpect {
                status { isBadRequest() }
                content { string("""{"error":"request body is not JSON"}""") }
            }
        }
    }

    @Test
    fun `ready is 200 when every dependency is up`() {
        every { readiness.check() } returns Readiness(Readiness.READY, mapOf("redis" to Readiness.UP))
        mvc.get("/ready").andExpect {
            status { isOk() }
            content { string("""{"status":"ready","checks":{"redis":"up"}}""") }
        }
    }

    @Test
    fun `ready is 503 naming the dependency that is down`() {
        every { readiness.check() } returns
            Readiness(Readiness.NOT_READY, mapOf("postgres" to Readiness.UP, "redis" to Readiness.DOWN))
        mvc.get("/ready").andExpect {
            status { isServiceUnavailable() }
            content { string("""{"status":"not ready","checks":{"postgres":"up","redis":"down"}}""") }
        }
    }

    @Test
    fun `startup tells when the service started and how long it took`() {
        every { startupTracker.startup } returns Startup("2026-01-02T03:04:05.678Z", 4321)
        expectJson("/startup", """{"started_at":"2026-01-02T03:04:05.678Z","startup_ms":4321}""")
    }

    @Test
    fun `startup is 503 until the service is ready`() {
        every { startupTracker.startup } returns null
        mvc.get("/startup").andExpect {
            status { isServiceUnavailable() }
            content { string("""{"status":"starting"}""") }
        }
    }

    private fun expectJson(path: String, body: String) {
        mvc.get(path).andExpect {
            status { isOk() }
            content { contentTypeCompatibleWith(MediaType.APPLICATION_JSON) }
            content { string(body) }
        }
    }
}
