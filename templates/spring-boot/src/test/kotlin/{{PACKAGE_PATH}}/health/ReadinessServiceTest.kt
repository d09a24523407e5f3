package {{PACKAGE}}.health

import io.mockk.every
import io.mockk.just
import io.mockk.mockk
import io.mockk.runs
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

class ReadinessServiceTest {
    private fun check(dependency: String, up: Boolean): DependencyCheck = mockk {
        every { name } returns dependency
        if (up) every { ping() } just runs else every { ping() } throws IllegalStateException("$dependency refused")
    }

    @Test
    fun `no dependency: ready, with no checks`() {
        val report = ReadinessService(emptyList()).check()
        assertEquals(Readiness(Readiness.READY, emptyMap()), report)
        assertTrue(report.isReady)
    }

    @Test
    fun `every dependency up: ready`() {
        val report = ReadinessService(listOf(check("redis", up = true), check("postgres", up = true))).check()
        assertEquals(Readiness(Readiness.READY, mapOf("postgres" to "up", "redis" to "up")), report)
    }

    @Test
    fun `one dependency down: not ready, and named down`() {
        val report = ReadinessService(listOf(check("redis", up = false), check("postgres", up = true))).check()
        assertEquals(Readiness(Readiness.NOT_READY, mapOf("postgres" to "up", "redis" to "down")), report)
        assertFalse(report.isReady)
    }

    @Test
    fun `checks are listed by name`() {
        val names = listOf("redis", "kafka", "postgres").map { check(it, up = true) }
        assertEquals(listOf("kafka", "postgres", "redis"), ReadinessService(names).check().checks.keys.toList())
    }

    @Test
    fun `a dependency that comes back is up again`() {
        var up = false
        val flaky = mockk<DependencyCheck> {
            every { name } returns "redis"
            every { ping() } answers { if (!up) throw IllegalStateException("refused") }
        }
        val service = ReadinessService(listOf(flaky))
        assertFalse(service.check().isReady)
        up = true
        assertTrue(service.check().isReady)
    }
}
