// Run by services/single-node/test/bi.int.test.ts with the official ClickHouse JDBC driver on the
// classpath: connects with the driver's defaults (compression of the server's answer included),
// runs each SQL argument and prints its rows tab-separated after a header line, or the error.
//   java -cp '<jars>/*' BiQuery.java <jdbc-url> <user> <password> <sql>…   (BI_JDBC_OPTIONS: extra driver options)
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

public class BiQuery {
  public static void main(String[] args) throws Exception {
    // the source launcher's class loader does not run the jar's service registration
    Class.forName("com.clickhouse.jdbc.Driver");
    Properties props = new Properties();
    props.setProperty("user", args[1]);
    props.setProperty("password", args[2]);
    // driver options beyond its defaults, "name=value,name=value" (the test turns on request compression with it)
    String extra = System.getenv("BI_JDBC_OPTIONS");
    if (extra != null && !extra.isEmpty()) for (String kv : extra.split(",")) props.setProperty(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
    try (Connection c = DriverManager.getConnection(args[0], props)) {
      System.out.println("driver\t" + c.getMetaData().getDriverName() + "\t" + c.getMetaData().getDriverVersion());
      System.out.println("server\t" + c.getMetaData().getDatabaseProductVersion());
      for (int q = 3; q < args.length; q++) {
        System.out.println("query\t" + q);
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(args[q])) {
          ResultSetMetaData md = rs.getMetaData();
          StringBuilder head = new StringBuilder("columns");
          for (int i = 1; i <= md.getColumnCount(); i++) head.append('\t').append(md.getColumnName(i)).append(':').append(md.getColumnTypeName(i));
          System.out.println(head);
          while (rs.next()) {
            StringBuilder row = new StringBuilder("row");
            for (int i = 1; i <= md.getColumnCount(); i++) row.append('\t').append(rs.getString(i));
            System.out.println(row);
          }
        } catch (SQLException e) {
          System.out.println("error\t" + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
      }
    } catch (SQLException e) {
      StringBuilder why = new StringBuilder(String.valueOf(e.getMessage()));
      for (Throwable t = e.getCause(); t != null; t = t.getCause()) why.append(" <- ").append(t.getMessage());
      System.out.println("connect-error\t" + why.toString().replace('\n', ' '));
    }
  }
}
