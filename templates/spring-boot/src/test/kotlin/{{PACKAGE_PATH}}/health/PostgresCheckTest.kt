package {{PACKAGE}}.health

import io.mockk.every
import io.mockk.mockk
import io.mockk.verify
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertDoesNotThrow
import org.junit.jupiter.api.assertThrows
import java.sql.Connection
import java.sql.SQLException
import javax.sql.DataSource

class PostgresCheckTest {
    private val connection = mockk<Connection>(relaxed = true)
    private val dataSource = mockk<DataSource> { every { getConnection() } returns connection }
    private val check = PostgresCheck(dataSource)

    @Test
    fun `up when the connection validates, and it goes back to the pool`() {
        every { connection.isValid(any()) } returns true
        assertDoesNotThrow { check.ping() }
        verify { connection.close() }
    }

    @Test
    fun `down when the connection does not validate`() {
        every { connection.isValid(any()) } returns false
        assertThrows<IllegalStateException> { check.ping() }
        verify { connection.close() }
    }

    @Test
    fun `down when no connection can be had`() {
        every { dataSource.connection } throws SQLException("Connection refused")
        assertThrows<SQLException> { check.ping() }
    }
}
