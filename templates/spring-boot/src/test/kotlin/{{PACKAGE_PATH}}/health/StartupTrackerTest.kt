package {{PACKAGE}}.health

import io.mockk.mockk
import org.junit.jupiter.api.Test
import org.springframework.boot.SpringApplication
import org.springframework.boot.context.event.ApplicationReadyEvent
import java.lang.management.ManagementFactory
import java.time.Duration
import java.time.Instant
import kotlin.test.assertEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue

class StartupTrackerTest {
    @Test
    fun `nothing to tell before the application is ready`() {
        assertNull(StartupTracker().startup)
    }

    @Test
    fun `measures from the start of the JVM to the ready event`() {
        val tracker = StartupTracker()
        val event = ApplicationReadyEvent(SpringApplication(), arrayOf(), mockk(), Duration.ofMillis(1))
        tracker.onReady(event)

        val jvmStart = ManagementFactory.getRuntimeMXBean().startTime
        val startup = tracker.startup!!
        assertEquals(Instant.ofEpochMilli(jvmStart), Instant.parse(startup.startedAt))
        assertEquals(event.timestamp - jvmStart, startup.startupMs)
        assertTrue(startup.startupMs > 0)
    }
}
