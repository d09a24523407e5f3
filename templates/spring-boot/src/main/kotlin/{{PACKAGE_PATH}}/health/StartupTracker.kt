package {{PACKAGE}}.health

import com.fasterxml.jackson.annotation.JsonProperty
import org.springframework.boot.context.event.ApplicationReadyEvent
import org.springframework.context.event.EventListener
import org.springframework.stereotype.Component
import java.lang.management.ManagementFactory
import java.time.Instant

/** What /startup answers. */
data class Startup(
    @JsonProperty("started_at") val startedAt: String,
    @JsonProperty("startup_ms") val startupMs: Long,
)

/**
 * Measures the startup for /startup: from the start of the JVM (what a restart
 * really costs, class loading included) to Spring's ApplicationReadyEvent,
 * when the context is up and the web server listens.
 */
@Component
class StartupTracker {
    @Volatile
    var startup: Startup? = null
        private set

    @EventListener
    fun onReady(event: ApplicationReadyEvent) {
        val jvmStart = ManagementFactory.getRuntimeMXBean().startTime
        startup = Startup(Instant.ofEpochMilli(jvmStart).toString(), event.timestamp - jvmStart)
    }
}
